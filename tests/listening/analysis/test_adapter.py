"""An organization's rated feedback adapts the classifier; adapters are safe npz, never pickle."""

from __future__ import annotations

import io
import pickle

import numpy as np
import pytest

from momentos.listening.analysis import analyze, embed, fit_adapter

# A fictional gym's rated comments: in its world "full" and "packed" are complaints and "quiet" is praise —
# vocabulary the shipped head has no reason to read that way.
ORG_TRAIN = [
    ("The gym was packed again at 7pm", "neg"), ("Completely full, could not get a machine", "neg"),
    ("Always crowded in the evenings", "neg"), ("Packed like sardines tonight", "neg"),
    ("Full house again, waited 20 minutes for a bench", "neg"), ("So crowded I left after ten minutes", "neg"),
    ("Nice and quiet this morning", "pos"), ("Quiet gym, all machines free", "pos"),
    ("Empty at lunch time, perfect", "pos"), ("Very calm today, trained without waiting", "pos"),
    ("Quiet evening, got every machine I wanted", "pos"), ("Hardly anyone there, loved it", "pos"),
    ("No free racks at all, again", "neg"), ("Impossible to train with so many people", "neg"),
    ("Queue for every machine, too many people", "neg"), ("Rush hour madness, everything taken", "neg"),
    ("Nobody around, had the place to myself", "pos"), ("Empty gym on Sunday, great session", "pos"),
    ("Calm atmosphere, no waiting at all", "pos"), ("Few people, every rack free", "pos"),
]
ORG_TEST = [
    ("Crowded again, no free racks", "neg"), ("It was packed at 6pm", "neg"), ("Full of people, impossible", "neg"),
    ("Nobody there tonight, perfect session", "pos"), ("Calm and quiet after 9", "pos"),
    ("Half empty this morning, great", "pos"),
]


def accuracy(adapter: bytes | None) -> float:
    results = analyze([t for t, _ in ORG_TEST], adapter)
    return sum(r.sentiment == y for r, (_, y) in zip(results, ORG_TEST, strict=True)) / len(ORG_TEST)


def test_an_adapter_from_org_labels_improves_on_that_orgs_comments() -> None:
    adapter = fit_adapter(embed([t for t, _ in ORG_TRAIN]), [y for _, y in ORG_TRAIN])
    assert accuracy(adapter) > accuracy(None)
    assert accuracy(adapter) >= 5 / 6


def test_an_adapter_is_an_npz_without_pickle() -> None:
    adapter = fit_adapter(embed([t for t, _ in ORG_TRAIN]), [y for _, y in ORG_TRAIN])
    with np.load(io.BytesIO(adapter), allow_pickle=False) as npz:
        assert set(npz.files) == {"weights", "bias", "meta"}


def test_a_pickle_or_garbage_is_refused_as_adapter() -> None:
    with pytest.raises(ValueError, match="sentiment head/adapter"):
        analyze(["bien"], pickle.dumps({"weights": [1.0]}))
    with pytest.raises(ValueError, match="sentiment head/adapter"):
        analyze(["bien"], b"garbage")
    with pytest.raises(ValueError, match="sentiment head/adapter"):
        analyze(["bien"], b"PK\x03\x04 truncated zip")


@pytest.mark.parametrize(("labels", "message"), [(["neg", "neg", "neg"], "two labels"),
                                                  (["neg", "bad", "pos"], "unknown labels"),
                                                  (["neg", "pos"], "one label per row")])
def test_unusable_org_labels_are_refused(labels: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fit_adapter(np.eye(3, 384, dtype=np.float32), labels)
