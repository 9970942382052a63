"""gitmodel/review/deltas.py: a metric's delta and direction, a file's size change, a report's verdict and
its `--format json` shape (diff.v1.json), on plain values."""

from __future__ import annotations

import json
import math

import pytest

from gitmodel.model.semver import Level
from gitmodel.review.deltas import (
    DiffReport,
    FileDelta,
    MetricDelta,
    MetricPoint,
    ModelDiff,
    SchemaDelta,
    ValueDelta,
    metric_delta,
)


def file_delta(old_size: int | None, new_size: int | None, kind: str = "changed") -> FileDelta:
    return FileDelta("weights", "artifacts/model.bin", kind, "a" * 64, "b" * 64, old_size, new_size)


# ---------------------------------------------------------------------------------------- metric_delta


@pytest.mark.parametrize(("name", "old", "new", "better"), [
    ("accuracy", 0.91, 0.93, True),        # higher is better by default
    ("accuracy", 0.93, 0.91, False),
    ("loss", 0.31, 0.28, True),            # lower is better: a word of the name says so
    ("val_loss", 0.28, 0.31, False),
    ("p95-latency", 120, 100, True),       # '-' splits words too
    ("eval/wer", 0.2, 0.1, True),          # so does '/'
    ("glossary_size", 10, 12, True),       # 'loss' inside a word is not the word 'loss'
])
def test_better_follows_the_metric_direction(name: str, old: float, new: float, better: bool) -> None:
    assert metric_delta(name, "changed", old, new).better is better


def test_no_change_is_neither_better_nor_worse() -> None:
    d = metric_delta("accuracy", "changed", 0.9, 0.9)
    assert (d.delta, d.relative, d.better) == (0.0, 0.0, None)


def test_binary_noise_is_dropped_from_delta_and_relative() -> None:
    d = metric_delta("accuracy", "changed", 0.91, 0.93)
    assert d.delta == 0.02  # not 0.020000000000000018
    assert d.relative == pytest.approx(0.02 / 0.91)
    assert repr(d.relative) == repr(float(f"{0.02 / 0.91:.12g}"))


def test_relative_is_none_from_zero_and_negative_old_uses_magnitude() -> None:
    assert metric_delta("accuracy", "changed", 0, 0.5).relative is None
    assert metric_delta("accuracy", "changed", 0, 0.5).delta == 0.5
    d = metric_delta("margin", "changed", -2.0, -1.0)
    assert (d.delta, d.relative, d.better) == (1.0, 0.5, True)


@pytest.mark.parametrize(("old", "new"), [
    (None, 0.9), (0.9, None), ("0.9", 0.95), (True, 0.5), (0.5, False), (math.nan, 0.5), (0.5, math.inf),
    ({"a": 1}, 1),
])
def test_not_two_finite_numbers_has_no_delta(old: object, new: object) -> None:
    d = metric_delta("accuracy", "changed", old, new)
    assert (d.delta, d.relative, d.better) == (None, None, None)
    assert (d.old, d.new) == (old, new)  # the values are kept for display


def test_added_and_removed_metrics_keep_their_kind() -> None:
    assert metric_delta("f1", "added", None, 0.8).kind == "added"
    assert metric_delta("f1", "removed", 0.8, None).to_json()["kind"] == "removed"


# ---------------------------------------------------------------------------------------------- files


@pytest.mark.parametrize(("old", "new", "delta"), [
    (100, 250, 150), (250, 100, -150), (7, 7, 0), (None, 10, None), (10, None, None), (None, None, None),
])
def test_size_delta(old: int | None, new: int | None, delta: int | None) -> None:
    assert file_delta(old, new).size_delta == delta
    assert file_delta(old, new).to_json()["size_delta"] == delta


def test_file_delta_json_names_every_field_and_defaults() -> None:
    data = file_delta(1, 2).to_json()
    assert data == {"component": "weights", "path": "artifacts/model.bin", "kind": "changed",
                    "old_sha256": "a" * 64, "new_sha256": "b" * 64, "old_size": 1, "new_size": 2, "size_delta": 1,
                    "old_storage": None, "new_storage": None, "note": ""}


# --------------------------------------------------------------------------------------------- report


def model(status: str = "changed", ok: bool | None = True, **kw: object) -> ModelDiff:
    return ModelDiff("sentiment", status, None, "0.1.0", "0.2.0", ok=ok, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(("oks", "verdict"), [
    ([], True),                      # nothing changed: nothing to refuse
    ([None], True),                  # an added or removed model is not judged
    ([True, None], True),
    ([True, False], False),
    ([None, False], False),
])
def test_report_ok_is_false_only_when_a_judged_model_fails(oks: list[bool | None], verdict: bool) -> None:
    report = DiffReport("main", "HEAD", [model(ok=ok) for ok in oks], [])
    assert report.ok is verdict
    assert report.to_json()["ok"] is verdict


def test_report_json_is_plain_json_with_levels_as_words_and_history_oldest_first() -> None:
    m = model(required=Level.MINOR, given=Level.PATCH, ok=False, reason="prompts changed",
              files=[file_delta(None, 10, "added")],
              params=[ValueDelta("lr", "changed", 0.001, 0.0005)],
              metrics=[metric_delta("loss", "changed", 0.31, 0.28)],
              schema=[SchemaDelta("inputs.text", "removed", {"type": "string"}, None, True, "field removed")],
              history={"loss": [MetricPoint("v0.1.0", 0.31), MetricPoint("v0.2.0", 0.28)]},
              stale=["prompts/system.txt"])
    data = DiffReport("sentiment@v0.1.0", "working tree", [m], ["other"], ["a warning"]).to_json()
    assert json.loads(json.dumps(data)) == data  # nothing but JSON types
    assert data["schema_version"] == 1
    (only,) = data["models"]
    assert (only["required_level"], only["given_level"], only["ok"]) == ("minor", "patch", False)
    assert only["metrics"][0]["direction"] == "lower"
    assert only["metrics"][0]["better"] is True
    assert only["metric_history"] == {"loss": [{"label": "v0.1.0", "value": 0.31}, {"label": "v0.2.0", "value": 0.28}]}
    assert only["schema"][0]["breaking"] is True
    assert (data["unchanged"], data["warnings"], only["stale"]) == (["other"], ["a warning"], ["prompts/system.txt"])


def test_metric_json_direction_for_a_higher_is_better_metric() -> None:
    d = MetricDelta("accuracy", "changed", 0.9, 0.8, -0.1, -0.111, False)
    assert d.to_json()["direction"] == "higher"


def test_model_lists_are_not_shared_between_instances() -> None:
    a, b = model(), model()
    a.files.append(file_delta(1, 2))
    a.history["f1"] = []
    assert b.files == []
    assert b.history == {}
