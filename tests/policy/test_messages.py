"""Every reason sentence reads in words in both languages: channel, purpose and period codes never show raw."""

from __future__ import annotations

import re

import pytest

from momentos.policy.messages import CHANNEL_NAMES, PERIOD_NAMES, PURPOSE_NAMES, REASON_MESSAGES, explain
from momentos.web.labels import LABELS

CHANNELS = sorted(c for c in LABELS["channel"] if c != "*")


def test_every_channel_purpose_and_period_has_a_name_in_a_sentence() -> None:
    assert set(CHANNELS) <= set(CHANNEL_NAMES)
    assert {p for p in LABELS["purpose"] if p != "*"} <= set(PURPOSE_NAMES)
    assert {"day", "week"} <= set(PERIOD_NAMES)


@pytest.mark.parametrize("channel", CHANNELS)
def test_spanish_reasons_name_the_channel_purpose_and_period_in_spanish(channel: str) -> None:
    params = {"channel": channel, "purpose": "transactional", "period": "day", "limit": 1, "cap": "channel:" + channel}
    for code in REASON_MESSAGES:
        text = explain(code, params, "es")
        shown = text.replace(f"(channel:{channel})", "")  # the cap's own key is shown as written in the rules
        assert not re.search(r"\b(transactional|day)\b", shown), (code, text)
        if channel not in ("web", "app", "chat", "webhook"):  # the same word in Spanish
            assert not re.search(rf"(?<![\w:]){re.escape(channel)}\b", shown), (code, text)
    assert explain("no_address", {"channel": "phone"}, "es") == "No hay dirección para teléfono."
    assert explain("cap_reached", {"channel": "email", "limit": 1, "period": "day", "cap": "channel:email"},
                   "es") == "Límite de frecuencia alcanzado en correo electrónico: 1 por día (channel:email)."
    assert explain("no_address", {"channel": "phone"}, "en") == "No address for phone."
