from __future__ import annotations

import pytest

from momentos.catalog.presets import BUILTIN_MODELS, CANONICAL_KEYS, CONTACT_MOMENTS_8


def test_default_model_has_the_8_contact_moments_in_order() -> None:
    assert CONTACT_MOMENTS_8.keys == ["awareness", "first_contact", "consideration", "purchase", "delivery", "use",
                                      "support", "loyalty"]
    assert CONTACT_MOMENTS_8.moment("purchase").name("es") == "Decisión y compra"
    assert CONTACT_MOMENTS_8.moment("loyalty").name("en") == "Loyalty and renewal"


@pytest.mark.parametrize("key", ["purchase-decision-5", "buyer-experience-6", "moments-of-truth-5"])
def test_each_preset_covers_every_contact_moment_exactly_once(key: str) -> None:
    model = BUILTIN_MODELS[key]
    covered = [c for m in model.moments for c in m.maps_to]
    assert sorted(covered) == sorted(CANONICAL_KEYS)
    assert all(model.from_canonical(c) is not None for c in CANONICAL_KEYS)
    # the mapping keeps the order of the journey
    positions = [model.position(model.from_canonical(c) or "") for c in CANONICAL_KEYS]
    assert positions == sorted(positions)


def test_preset_sizes() -> None:
    assert [len(BUILTIN_MODELS[k].moments) for k in ("purchase-decision-5", "buyer-experience-6",
                                                     "moments-of-truth-5")] == [5, 6, 5]
    assert BUILTIN_MODELS["moments-of-truth-5"].from_canonical("consideration") == "zmot"
