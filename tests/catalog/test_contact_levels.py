from __future__ import annotations

import pytest

from momentos.catalog.contact_levels import Assessment, assess, contact_budget, default_intensity


@pytest.mark.parametrize(("answers", "level"), [
    # a restaurant: in the facility, active with staff, face to face, long
    ({"presence": "full", "participation": "active", "duration": "long", "people": "face_to_face",
      "facility": True}, "high"),
    # a cinema: present for long, limited participation
    ({"presence": "full", "participation": "limited", "duration": "long", "people": "face_to_face",
      "facility": True, "equipment": True}, "medium"),
    # fast food / dry cleaner: drop off and pick up
    ({"presence": "partial", "participation": "limited", "duration": "short", "people": "face_to_face"}, "medium"),
    # e-banking: nobody is present
    ({"presence": "none", "participation": "none", "duration": "short", "people": "none"}, "low"),
    # a call centre: voice only is still arm's length
    ({"presence": "none", "participation": "active", "duration": "medium", "people": "voice"}, "low"),
])
def test_assessment_gives_lovelocks_level(answers: dict[str, object], level: str) -> None:
    assert assess(Assessment.model_validate(answers)).level == level


def test_level_is_explained_by_reasons() -> None:
    result = assess(Assessment(presence="full", participation="active", duration="long", people="face_to_face"))
    msgids = [r.msgid for r in result.reasons]
    assert "The customer is present in the facility." in msgids
    assert "The customer takes an active part with staff." in msgids
    assert all(r.effect == "raises" for r in result.reasons)


def test_unknown_answers_are_refused() -> None:
    with pytest.raises(ValueError, match="presence"):
        Assessment.model_validate({"presence": "sometimes", "participation": "none", "duration": "short",
                                   "people": "none"})


def test_low_contact_favours_self_service_defaults() -> None:
    assert default_intensity("low", "use") == "none"
    assert default_intensity("high", "use") == "proactive"
    assert contact_budget("high", "proactive") > contact_budget("low", "proactive") > 0
    assert contact_budget("high", "on_request") == 0
