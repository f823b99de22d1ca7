"""Layering contact rules: organization → service → moment → customer; a later layer overrides an earlier one
key by key (caps are merged per cap key)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import time
from typing import Any

from momentos.policy.engine import DEFAULT_CONSENT, DEFAULT_ORDER, Rules


def merge(layers: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for layer in layers:
        for key, value in layer.items():
            if key in ("caps", "default_consent") and isinstance(value, Mapping):
                merged[key] = {**merged.get(key, {}), **value}
            else:
                merged[key] = value
    return merged


def to_rules(raw: Mapping[str, Any]) -> Rules:
    quiet = raw.get("quiet_hours") or None
    return Rules(
        quiet_start=time.fromisoformat(quiet["start"]) if quiet else None,
        quiet_end=time.fromisoformat(quiet["end"]) if quiet else None,
        caps={k: dict(v) for k, v in (raw.get("caps") or {}).items() if v},
        channel_order=tuple(raw.get("channel_order") or DEFAULT_ORDER),
        disabled_channels=frozenset(raw.get("disabled_channels") or ()),
        default_consent={**DEFAULT_CONSENT, **(raw.get("default_consent") or {})},
    )


def customer_scope(customer_id: int) -> str:
    """The scope of one customer's own rules (exported with the customer, removed by erasure)."""
    return f"customer:{customer_id}"


def scopes(service_id: int | None, moment: str | None, customer_id: int) -> list[str]:
    """The rule scopes that apply, from the most general to the most specific."""
    out = ["org"]
    if service_id is not None:
        out.append(f"service:{service_id}")
        if moment:
            out.append(f"moment:{service_id}:{moment}")
    out.append(customer_scope(customer_id))
    return out
