"""gitmodel diff and metrics: real repos with release tags; goldens for the Markdown a PR comment shows."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from gitmodel.infra.errors import InvalidInput
from gitmodel.model.config import Config
from gitmodel.model.manifest import FileEntry, Manifest
from gitmodel.model.schemas import load_schema
from gitmodel.model.semver import Level
from gitmodel.review import diff as review
from gitmodel.review import render
from gitmodel.review.deltas import DiffReport, metric_delta
from gitmodel.review.diff import compare_models
from gitmodel.review.trends import mermaid_chart, model_metrics, sparkline
from gitmodel.workspace.edit import add_model, bump_model
from tests.kit.cli import gm
from tests.kit.clock import pin_dates
from tests.kit.git import commit_all, git, release
from tests.kit.goldens import golden
from tests.kit.manifests import edit
from tests.kit.repos import two_releases

SCHEMA = load_schema("diff.v1.json")


def valid(report: DiffReport) -> dict:
    data = json.loads(json.dumps(report.to_json()))
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    return data


def sha(c: str) -> str:
    return c * 64


# ------------------------------------------------------------------------------- the judged scenario


def test_release_to_release_markdown_matches_golden(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    two_releases(repo, monkeypatch)
    report = review.diff(repo, "sentiment@v0.1.0", "sentiment@v0.2.0")
    text = render.diff_markdown(report)
    golden("diff_release_to_release.md", text)
    assert "| sentiment | 0.1.0 → 0.2.0 | minor | minor ✅ |" in text
    assert "`prompts/system.txt`" in text
    assert "`1500896e → 04188f49`" in text  # short sha256 of the two prompt versions
    assert "| accuracy | 0.91 | 0.93 | ▲ +0.02 | +2.2% | better |" in text
    assert "| f1 | 0.88 | 0.87 | ▼ -0.01 | -1.1% | worse |" in text
    assert "| loss | 0.31 | 0.28 | ▼ -0.03 | -9.7% | better |" in text  # lower loss is better
    assert "- `lr: 0.001 → 0.0005`" in text
    assert "xychart-beta" in text


def test_cli_scenario_markdown_and_json(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    two_releases(repo, monkeypatch)
    md = gm(repo, "diff", "sentiment@v0.1.0", "sentiment@v0.2.0", "--format", "markdown")
    assert md.returncode == 0, md.stderr
    for needle in ("0.1.0 → 0.2.0", "prompts/system.txt", "1500896e", "04188f49", "minor", "+0.02", "-0.01",
                   "lr: 0.001 → 0.0005"):
        assert needle in md.stdout
    js = gm(repo, "diff", "sentiment@v0.1.0", "sentiment@v0.2.0", "--format", "json")
    assert js.returncode == 0, js.stderr
    data = json.loads(js.stdout)
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    (model,) = data["models"]
    assert (model["old_version"], model["new_version"], model["required_level"], model["given_level"],
            model["ok"]) == ("0.1.0", "0.2.0", "minor", "minor", True)
    assert {m["name"]: m["delta"] for m in model["metrics"]} == {"accuracy": 0.02, "f1": -0.01, "loss": -0.03}
    assert model["params"] == [{"key": "lr", "kind": "changed", "old": 0.001, "new": 0.0005}]


def test_text_format_is_plain_when_piped(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    two_releases(repo, monkeypatch)
    result = gm(repo, "diff", "sentiment@v0.1.0", "sentiment@v0.2.0")
    assert result.returncode == 0, result.stderr
    assert "\x1b[" not in result.stdout
    assert "sentiment  0.1.0 → 0.2.0  required minor, given minor  ✓ ok" in result.stdout
    assert "accuracy: 0.91 → 0.93  +0.02 +2.2% better  ▁█" in result.stdout


def test_styled_text_carries_markup_only_when_asked(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    two_releases(repo, monkeypatch)
    report = review.diff(repo, "sentiment@v0.1.0", "sentiment@v0.2.0")
    assert "[green]" in render.diff_text(report, styled=True)
    assert "[green]" not in render.diff_text(report)


# ---------------------------------------------------------------------------------- sides and refs


def test_default_is_latest_release_to_working_tree(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    two_releases(repo, monkeypatch)
    edit(repo, "sentiment", metrics={"accuracy": 0.95, "f1": 0.87, "loss": 0.28})  # not bumped
    report = review.diff(repo)
    assert (report.old_label, report.new_label) == ("latest releases", "working tree")
    (m,) = report.models
    assert (m.old_version, m.new_version, m.required, m.ok) == ("0.2.0", "0.2.0", Level.PATCH, False)
    assert m.reason.startswith("not bumped: patch required by metrics.accuracy 0.93 → 0.95")
    assert not report.ok
    # the trend runs over both releases and ends at the working copy
    assert [p.label for p in m.history["accuracy"]] == ["v0.1.0", "v0.2.0", "v0.2.0 (changed)"]
    valid(report)
    result = gm(repo, "diff", "--exit-code")
    assert result.returncode == 1
    assert gm(repo, "diff").returncode == 0


def test_one_argument_compares_with_working_tree(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    two_releases(repo, monkeypatch)
    report = review.diff(repo, "sentiment@v0.1.0")
    (m,) = report.models
    assert (m.old_version, m.new_version, m.ok) == ("0.1.0", "0.2.0", True)
    assert review.diff(repo, "sentiment@v0.2.0").models == []
    assert review.diff(repo, "sentiment@v0.2.0").unchanged == ["sentiment"]
    by_rev = review.diff(repo, "HEAD~1", "HEAD")
    assert [x.name for x in by_rev.models] == ["sentiment"]
    assert by_rev.old_label == "HEAD~1"


def test_unknown_revision_and_release_are_input_errors(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    two_releases(repo, monkeypatch)
    with pytest.raises(InvalidInput, match="no release sentiment@v9.0.0"):
        review.diff(repo, "sentiment@v9.0.0")
    with pytest.raises(InvalidInput, match="unknown revision"):
        review.diff(repo, "no-such-branch")
    result = gm(repo, "diff", "nope@v1.0.0")
    assert result.returncode == 2
    assert result.stderr.startswith("error: nope@v1.0.0: no release nope@v1.0.0")
    assert "Traceback" not in result.stderr


def _weights(root: Path, name: str, text: str) -> str:
    path = root / "artifacts" / f"{name}.bin"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return f"artifacts/{name}.bin"


def _git_models(repo: Path, *names: str) -> str:
    """One git-stored model per name, committed; the commit id."""
    for name in names:
        w = _weights(repo, name, f"{name} weights\n")
        add_model(repo, name, weights=[w], force_git=[w])
    commit_all(repo, "models")
    return git(repo, "rev-parse", "HEAD").stdout.strip()


def _rename_manifest(repo: Path, old: str, new: str) -> None:
    (repo / f"models/{old}.yaml").rename(repo / f"models/{new}.yaml")
    text = (repo / f"models/{new}.yaml").read_text().replace(f"name: {old}\n", f"name: {new}\n")
    (repo / f"models/{new}.yaml").write_text(text)


def test_models_added_removed_renamed_and_other_files_ignored(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pin_dates(monkeypatch)
    base = _git_models(repo, "alpha", "beta", "gamma")
    # alpha is renamed (same files, new name), beta removed, delta added; a README changes too
    _rename_manifest(repo, "alpha", "alpha2")
    (repo / "models/beta.yaml").unlink()
    w = _weights(repo, "delta", "delta weights\n")
    add_model(repo, "delta", weights=[w], force_git=[w])
    (repo / "README.md").write_text("changed\n")
    (repo / "models/notes.txt").write_text("not a manifest\n")
    commit_all(repo, "reshuffle")
    report = review.diff(repo, base, "HEAD")
    status = {m.name: (m.status, m.old_name) for m in report.models}
    assert status == {"alpha2": ("renamed", "alpha"), "beta": ("removed", None), "delta": ("added", None)}
    assert report.unchanged == ["gamma"]
    data = valid(report)
    assert {m["name"] for m in data["models"]} == {"alpha2", "beta", "delta"}
    md = render.diff_markdown(report)
    assert "| alpha → alpha2 | 0.1.0 → 0.1.0 |" in md
    assert "| beta | 0.1.0 → — | — | — (removed) |" in md
    assert "| delta | — → 0.1.0 | — | — (added) |" in md
    assert "README" not in md
    assert "notes.txt" not in md
    only = review.diff(repo, base, "HEAD", model="gamma")
    assert only.models == []
    assert only.unchanged == ["gamma"]


# -------------------------------------------------------------------------------- every change kind


def _all_kinds() -> tuple[Manifest, Manifest]:
    old = Manifest(
        name="ranker", version="1.4.2",
        weights=(FileEntry("w/model.onnx", sha("a"), 1000, "dvc", md5="1" * 32),
                 FileEntry("w/old.bin", sha("b"), 50, "git")),
        data=(FileEntry("data/train.csv", sha("c"), 2048, "dvc", md5="2" * 32, role="train"),),
        prompts=(FileEntry("prompts/p.txt", sha("d"), 10, "git"),),
        params={"lr": 0.001, "layers": 4, "dropout": 0.1},
        schema={"inputs": {"type": "object", "required": ["text"],
                           "properties": {"text": {"type": "string"}, "lang": {"type": "string"}}},
                "outputs": {"type": "object", "properties": {"label": {"enum": ["neg", "pos"]}}}},
        environment={"python": "3.11.7", "packages": {"torch": "2.3.0"},
                     "lock": {"path": "requirements.lock", "sha256": sha("1")}},
        metrics={"accuracy": 0.9, "latency_ms": 12.0, "notes": "ok"},
        lineage={"parent": "ranker@v1.4.1", "base_model": "bert-base"},
        description="Ranker",
    )
    new = Manifest(
        name="ranker", version="1.5.0",
        weights=(FileEntry("w/model.onnx", sha("e"), 1500, "dvc", md5="3" * 32),
                 FileEntry("w/new.bin", sha("f"), 70, "git")),
        data=(FileEntry("data/train.csv", sha("c"), 2048, "lfs", role="train"),),
        prompts=(FileEntry("prompts/p.txt", sha("d"), 10, "git"),),
        params={"lr": 0.0005, "layers": 4, "warmup": 100},
        schema={"inputs": {"type": "object", "required": ["text"],
                           "properties": {"text": {"type": "string"}, "user": {"type": "string"}}},
                "outputs": {"type": "object", "properties": {"label": {"enum": ["neg", "pos", "neu"]}}}},
        environment={"python": "3.11.9", "packages": {"torch": "2.4.0"},
                     "lock": {"path": "requirements.lock", "sha256": sha("2")}},
        metrics={"accuracy": 0.88, "latency_ms": 9.0, "notes": "better"},
        lineage={"parent": "ranker@v1.4.2", "base_model": "bert-base"},
        description="Ranker, retrained",
    )
    return old, new


def test_every_change_kind_is_classified() -> None:
    old, new = _all_kinds()
    m = compare_models("ranker", old, new, Config())
    assert m is not None
    files = {(f.component, f.path): f for f in m.files}
    assert files[("weights", "w/model.onnx")].kind == "changed"
    assert files[("weights", "w/model.onnx")].size_delta == 500
    assert files[("weights", "w/old.bin")].kind == "removed"
    assert files[("weights", "w/new.bin")].kind == "added"
    assert files[("data", "data/train.csv")].note == "storage moved"
    assert ("prompts", "prompts/p.txt") not in files
    lock = files[("environment", "requirements.lock")]
    assert (lock.kind, lock.old_sha256, lock.new_sha256) == ("changed", sha("1"), sha("2"))
    assert {(p.key, p.kind) for p in m.params} == {("lr", "changed"), ("dropout", "removed"), ("warmup", "added")}
    metrics = {x.name: x for x in m.metrics}
    assert (metrics["accuracy"].delta, metrics["accuracy"].better) == (-0.02, False)
    assert (metrics["latency_ms"].delta, metrics["latency_ms"].better) == (-3.0, True)  # lower is better
    assert metrics["latency_ms"].relative == -0.25
    assert metrics["notes"].delta is None
    breaking = {s.key: s.breaking for s in m.schema}
    assert breaking["schema.inputs.lang"] is True            # field removed
    assert breaking["schema.inputs.user"] is False           # new optional field
    assert breaking["schema.outputs.label.enum"] is False    # enum value added
    assert [(v.key, v.old, v.new) for v in m.lineage] == [("parent", "ranker@v1.4.1", "ranker@v1.4.2")]
    assert {v.key for v in m.environment} == {"python", "packages.torch"}
    assert [v.key for v in m.metadata] == ["description"]
    # a removed input field is breaking: major required, minor given
    assert (m.required, m.given, m.ok) == (Level.MAJOR, Level.MINOR, False)
    assert m.reason.startswith("minor given, major required by schema.inputs.lang removed")
    report = DiffReport("v1", "v2", [m], [])
    valid(report)
    golden("diff_all_kinds.md", render.diff_markdown(report))
    golden("diff_all_kinds.txt", render.diff_text(report))


def test_metric_delta_edge_cases() -> None:
    assert metric_delta("acc", "changed", 0, 0.5).relative is None
    assert metric_delta("acc", "changed", 0.5, 0.5).better is None
    assert metric_delta("acc", "changed", True, False).delta is None  # booleans are not numbers
    assert metric_delta("val_loss", "changed", 1.0, 2.0).better is False
    assert metric_delta("acc", "added", None, 0.9).delta is None


def test_lowered_and_unbumped_versions_fail() -> None:
    old, new = _all_kinds()
    lowered = compare_models("ranker", old, new.with_version("1.4.0"), Config())
    assert lowered is not None
    assert lowered.ok is False
    assert lowered.reason.startswith("version lowered")
    same = compare_models("ranker", old, new.with_version("1.4.2"), Config())
    assert same is not None
    assert same.ok is False
    assert same.reason.startswith("not bumped")
    major = compare_models("ranker", old, new.with_version("2.0.0"), Config())
    assert major is not None
    assert major.ok is True
    assert major.given == Level.MAJOR


def test_version_only_change_is_listed_and_ok() -> None:
    old, _new = _all_kinds()
    m = compare_models("ranker", old, old.with_version("1.4.3"), Config())
    assert m is not None
    assert m.ok is True
    assert m.required == Level.NONE
    assert compare_models("ranker", old, old, Config()) is None


# ------------------------------------------------------------------------------------------ metrics


def test_sparkline_and_chart() -> None:
    assert sparkline([1, 2, 3, 4, 5, 6, 7, 8]) == "▁▂▃▄▅▆▇█"
    assert sparkline([0.5, None, 0.5]) == "▄ ▄"
    assert sparkline([]) == ""
    chart = mermaid_chart("m: acc", "acc", [("v0.1.0", 0.9), ("v0.2.0", 0.95)])
    assert chart.splitlines()[:4] == ["```mermaid", "xychart-beta", '    title "m: acc"',
                                      '    x-axis ["v0.1.0", "v0.2.0"]']
    assert "    line [0.9, 0.95]" in chart


def test_metrics_across_releases(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    two_releases(repo, monkeypatch)
    report = model_metrics(repo, "sentiment")
    assert [r.label for r in report.rows] == ["v0.1.0", "v0.2.0"]
    assert report.metric_names == ["accuracy", "f1", "loss"]
    text = render.metrics_text(report)
    golden("metrics.txt", text)
    md = render.metrics_markdown(report)
    golden("metrics.md", md)
    assert md.count("xychart-beta") == 3
    edit(repo, "sentiment", version="0.3.0", metrics={"accuracy": 0.94, "f1": 0.9, "loss": 0.2})
    report = model_metrics(repo, "sentiment")
    assert [r.label for r in report.rows] == ["v0.1.0", "v0.2.0", "working tree"]
    assert "▁▆█" in render.metrics_text(report)


def test_metrics_cli_json_and_unknown_model(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    two_releases(repo, monkeypatch)
    result = gm(repo, "metrics", "sentiment", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["trends"]["accuracy"] == {"values": [0.91, 0.93], "sparkline": "▁█", "direction": "higher"}
    md = gm(repo, "metrics", "sentiment", "--format", "markdown")
    assert "```mermaid\nxychart-beta" in md.stdout
    missing = gm(repo, "metrics", "nosuch")
    assert missing.returncode == 2
    assert missing.stderr.startswith("error: models/nosuch.yaml: no such model")


def test_diff_markdown_has_no_chart_without_metric_change(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    two_releases(repo, monkeypatch)
    (repo / "artifacts/model.bin").write_text("weights v3\n")
    from gitmodel.workspace.edit import bump_model

    bump_model(repo, "sentiment")
    md = render.diff_markdown(review.diff(repo))
    assert "artifacts/model.bin" in md
    assert "0.2.0 → 0.3.0" in md
    assert "mermaid" not in md


def test_renamed_and_changed_in_one_commit_is_a_rename(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same files, new name and new weights: paired by the paths it kept, shown as one renamed model."""
    pin_dates(monkeypatch)
    base = _git_models(repo, "alpha", "beta")
    _rename_manifest(repo, "alpha", "alpha2")
    weights = _weights(repo, "alpha", "alpha weights, retrained\n")
    bump_model(repo, "alpha2")
    (repo / "models/beta.yaml").unlink()
    w = _weights(repo, "delta", "delta weights\n")
    add_model(repo, "delta", weights=[w], force_git=[w])
    commit_all(repo, "rename alpha, retrain it; beta out, delta in")
    report = review.diff(repo, base, "HEAD")
    status = {m.name: (m.status, m.old_name) for m in report.models}
    assert status == {"alpha2": ("renamed", "alpha"), "beta": ("removed", None), "delta": ("added", None)}
    alpha2 = next(m for m in report.models if m.name == "alpha2")
    assert [(f.path, f.kind) for f in alpha2.files] == [(weights, "changed")]


def _released_then_renamed(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`old` released as 0.1.0, then its manifest renamed to `new` in the working tree."""
    pin_dates(monkeypatch)
    w = _weights(repo, "old", "shared\n")
    add_model(repo, "old", weights=[w], force_git=[w])
    commit_all(repo, "old")
    release(repo, "old", "0.1.0")
    (repo / "models/old.yaml").rename(repo / "models/new.yaml")
    edit(repo, "new", name="new")


def test_release_renamed_between_two_release_refs(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _released_then_renamed(repo, monkeypatch)
    commit_all(repo, "renamed")
    release(repo, "new", "0.1.0")
    (m,) = review.diff(repo, "old@v0.1.0", "new@v0.1.0").models
    assert (m.status, m.old_name, m.name) == ("renamed", "old", "new")


def test_stale_working_tree_file_is_reported(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    two_releases(repo, monkeypatch)
    (repo / "prompts/system.txt").write_text("edited without a bump\n")
    report = review.diff(repo)
    (m,) = report.models
    assert m.stale == ["prompts/system.txt: prompts changed"]
    assert m.ok is False
    assert "gitmodel bump sentiment" in m.reason
    assert "Stale manifest" in render.diff_markdown(report)
    valid(report)
    # between two commits nothing is "stale": the diff is of what was committed
    assert review.diff(repo, "sentiment@v0.1.0", "HEAD").models[0].stale == []


def test_pull_request_template_has_the_review_checklist() -> None:
    from gitmodel.infra.resources import templates_dir

    text = (templates_dir() / "pull_request_template.md").read_text(encoding="utf-8")
    for heading in ("## What changed", "## Why", "## Evaluation", "## Intended use", "## Rollback plan",
                    "## Approvals"):
        assert heading in text
    assert "gitmodel diff --format markdown" in text


def test_rename_against_latest_release(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _released_then_renamed(repo, monkeypatch)
    (m,) = review.diff(repo).models
    assert (m.status, m.old_name, m.name, m.ok) == ("renamed", "old", "new", True)


def test_colour_only_on_a_terminal(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import pty
    import subprocess
    import sys

    two_releases(repo, monkeypatch)
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "xterm-256color")
    main, child = pty.openpty()
    proc = subprocess.run([sys.executable, "-m", "gitmodel", "diff", "sentiment@v0.1.0", "sentiment@v0.2.0"],
                          cwd=repo, stdout=child, stderr=subprocess.PIPE, check=False)
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(main)
    shown = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0, proc.stderr
    assert "\x1b[" in shown           # coloured on a terminal
    assert "✓ ok" in shown
    piped = gm(repo, "diff", "sentiment@v0.1.0", "sentiment@v0.2.0")
    assert "\x1b[" not in piped.stdout  # plain through a pipe, NO_COLOR or not


@pytest.mark.parametrize("command", ["diff", "metrics", "card"])
def test_help_has_an_example(repo: Path, command: str) -> None:
    result = gm(repo, command, "--help")
    assert result.returncode == 0
    assert "Example: gitmodel " + command in result.stdout


def test_lightweight_tag_is_read_as_a_revision_with_a_warning(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    two_releases(repo, monkeypatch)
    git(repo, "tag", "sentiment@v0.0.9", "HEAD~1")  # lightweight: not a release
    report = review.diff(repo, "sentiment@v0.0.9", "sentiment@v0.2.0")
    (m,) = report.models
    assert (m.old_version, m.new_version) == ("0.1.0", "0.2.0")
    assert any("lightweight tag ignored" in w for w in report.warnings)
    valid(report)
    result = gm(repo, "diff", "sentiment@v0.0.9", "sentiment@v0.2.0", "--format", "json")
    assert result.returncode == 0
    json.loads(result.stdout)
    assert "warning: tag sentiment@v0.0.9: lightweight tag ignored" in result.stderr


def test_unknown_model_filter_is_an_input_error(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    two_releases(repo, monkeypatch)
    with pytest.raises(InvalidInput, match="no model 'nosuch' on either side") as exc:
        review.diff(repo, model="nosuch")
    assert exc.value.where == "--model"


def test_long_reason_names_the_first_changes_and_counts_the_rest() -> None:
    old, new = _all_kinds()
    # everything changed at the same level: a minor policy for every component
    policy = dict.fromkeys(("schema", "weights", "data", "prompts", "params", "environment", "metadata"),
                           Level.MINOR)
    m = compare_models("ranker", old, new, Config(policy=policy))
    assert m is not None
    assert m.reason.count(";") == review.MAX_REASONS - 1
    assert m.reason.endswith("more")
