"""Reproducibility context: env capture/check, validate-input, schema bumps, lineage (domain and CLI)."""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

import pytest
import yaml

from gitmodel.context.env import DEFAULT_PACKAGES
from gitmodel.context.reproduce import env_capture, env_check, validate_input
from gitmodel.gate.check import run_check
from gitmodel.infra.errors import ExitCode, InvalidInput, Refused
from gitmodel.model import manifest as mf
from gitmodel.repo.lineage import lineage_chain, parent_problem
from gitmodel.repo.tags import read_tags
from gitmodel.review.status import model_status
from gitmodel.workspace.edit import add_model, bump_model
from tests.kit.cli import gm
from tests.kit.git import git, release

SCHEMA = {
    "inputs": {"type": "object", "required": ["text", "user_age"],
               "properties": {"text": {"type": "string"}, "user_age": {"type": "integer", "minimum": 0}}},
    "outputs": {"type": "object", "properties": {"label": {"enum": ["neg", "neu", "pos"]}}},
}
YAML_VERSION = importlib.metadata.version("PyYAML")


def installed_frameworks() -> set[str]:
    """The frameworks `env capture` records by default that this test environment happens to have."""
    have = set()
    for name in DEFAULT_PACKAGES:
        try:
            importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        have.add(name)
    return have


def write_schema(root: Path, schema: dict[str, object], path: str = "schema.json") -> str:
    (root / path).write_text(json.dumps(schema))
    return path


@pytest.fixture
def model(repo: Path) -> Path:
    """`sentiment` 0.1.0, weights and data in git, released as sentiment@v0.1.0."""
    (repo / "artifacts").mkdir()
    (repo / "artifacts" / "model.txt").write_text("weights v1\n")
    (repo / "data").mkdir()
    (repo / "data" / "train.csv").write_text("text,label\ngood,pos\n")
    add_model(repo, "sentiment", weights=["artifacts/model.txt"], data=["data/train.csv"],
              force_git=["artifacts/model.txt", "data/train.csv"])
    release(repo, "sentiment", "0.1.0", commit_staged=True)
    return repo


def manifest_of(root: Path, name: str = "sentiment") -> mf.Manifest:
    return mf.load(root / f"models/{name}.yaml")


# --- env capture / check (domain) ---------------------------------------------------------------------

def test_env_capture_writes_stages_and_requires_the_environment_level(model: Path) -> None:
    (model / "requirements.txt").write_text(f"pyyaml=={YAML_VERSION}\n")
    result = env_capture(model, "sentiment", lock="requirements.txt", packages=["PyYAML"])
    env = manifest_of(model).environment
    assert env is not None
    assert env["packages"]["pyyaml"] == YAML_VERSION
    assert env["lock"]["path"] == "requirements.txt"
    assert env["lock"]["kind"] == "pip"
    mf.validate_schema(manifest_of(model).to_dict(), where="models/sentiment.yaml")  # the shape the schema wants
    assert result.changed
    assert result.previous is None
    assert result.staged == ["models/sentiment.yaml", "requirements.txt"]
    staged = git(model, "diff", "--cached", "--name-only").stdout.split()
    assert staged == ["models/sentiment.yaml", "requirements.txt"]
    # policy `environment` is patch: the released version must move by a patch
    assert str(result.required) == "patch"
    assert result.problem is not None
    assert "already released" in result.problem
    bumped = bump_model(model, "sentiment")
    assert bumped.new_version == "0.1.1"


def test_env_capture_again_keeps_packages_and_lock_and_reports_no_change(model: Path) -> None:
    (model / "requirements.txt").write_text("pyyaml\n")
    env_capture(model, "sentiment", lock="requirements.txt", packages=["PyYAML"])
    again = env_capture(model, "sentiment")
    assert not again.changed
    assert again.environment["packages"]["pyyaml"] == YAML_VERSION
    assert again.environment["lock"]["path"] == "requirements.txt"


def test_env_capture_refuses_unknown_model_and_missing_package(model: Path) -> None:
    with pytest.raises(InvalidInput, match="no such model"):
        env_capture(model, "nope")
    before = (model / "models/sentiment.yaml").read_bytes()
    with pytest.raises(InvalidInput, match="not installed") as info:
        env_capture(model, "sentiment", packages=["surely-not-installed-pkg"])
    assert info.value.where == "--package"
    assert (model / "models/sentiment.yaml").read_bytes() == before  # nothing half-written


def test_env_check_same_interpreter_is_ok_and_edited_version_is_an_error(model: Path) -> None:
    env_capture(model, "sentiment", packages=["PyYAML"])
    assert env_check(model, "sentiment").ok
    path = model / "models/sentiment.yaml"
    path.write_text(path.read_text().replace(f"pyyaml: {YAML_VERSION}", "pyyaml: 0.0.1"))
    report = env_check(model, "sentiment")
    assert not report.ok
    [mismatch] = report.errors
    assert (mismatch.name, mismatch.recorded, mismatch.found) == ("pyyaml", "0.0.1", YAML_VERSION)


def test_env_check_at_a_release_reads_the_released_record(model: Path) -> None:
    env_capture(model, "sentiment", packages=["PyYAML"])
    bump_model(model, "sentiment")
    release(model, "sentiment", "0.1.1", commit_staged=True)
    path = model / "models/sentiment.yaml"
    path.write_text(path.read_text().replace(f"pyyaml: {YAML_VERSION}", "pyyaml: 0.0.1"))
    assert not env_check(model, "sentiment").ok          # working tree: edited
    assert env_check(model, "sentiment@v0.1.1").ok       # the release: as captured
    with pytest.raises(InvalidInput, match="no environment recorded"):
        env_check(model, "sentiment@v0.1.0")


def test_env_check_other_interpreter_reports_missing_packages(model: Path, bare_python: Path) -> None:
    env_capture(model, "sentiment", packages=["PyYAML", "jsonschema"])
    report = env_check(model, "sentiment", python=str(bare_python))
    missing = {m.name: m.found for m in report.errors if m.kind == "package"}
    assert missing == dict.fromkeys({"pyyaml", "jsonschema", *installed_frameworks()})


# --- validate-input (domain) --------------------------------------------------------------------------

def test_validate_input_good_and_bad_jsonl(model: Path, tmp_path: Path) -> None:
    bump_model(model, "sentiment", schema_file=write_schema(model, SCHEMA))
    good = tmp_path / "good.jsonl"
    good.write_text('{"text": "a", "user_age": 3}\n{"text": "b", "user_age": 40}\n')
    summary = validate_input(model, "sentiment", good)
    assert (summary.ok, summary.total, summary.failed) == (True, 2, 0)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a", "user_age": 3}\n{"text": "b"}\n{"text": "c", "user_age": "abc"}\n')
    summary = validate_input(model, "sentiment", bad)
    assert (summary.ok, summary.total, summary.failed) == (False, 3, 2)
    assert [str(e) for e in summary.errors] == ["row 2: user_age: is a required property",
                                               "row 3: user_age: 'abc' is not of type 'integer'"]


def test_validate_input_without_input_schema_names_manifest_field(model: Path, tmp_path: Path) -> None:
    sample = tmp_path / "s.jsonl"
    sample.write_text("{}\n")
    with pytest.raises(InvalidInput) as info:
        validate_input(model, "sentiment", sample)
    assert info.value.where == "models/sentiment.yaml: schema.inputs"
    assert "gitmodel bump sentiment --schema FILE" in (info.value.hint or "")


# --- schema changes and the bump they require ---------------------------------------------------------

def test_removing_a_required_field_requires_major_in_status(model: Path) -> None:
    bump_model(model, "sentiment", schema_file=write_schema(model, SCHEMA))
    git(model, "add", "schema.json")
    release(model, "sentiment", manifest_of(model).version, commit_staged=True)
    smaller = json.loads(json.dumps(SCHEMA))
    del smaller["inputs"]["properties"]["user_age"]
    smaller["inputs"]["required"] = ["text"]
    path = model / "models/sentiment.yaml"
    data = yaml.safe_load(path.read_text())
    data["schema"] = smaller  # edited by hand, version untouched
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    [report], _ = model_status(model, ["sentiment"])
    assert report.required == "major"
    notes = [c.describe() for c in report.changes]
    assert any("breaking: field user_age removed" in n for n in notes), notes
    bumped = bump_model(model, "sentiment")
    assert bumped.new_version == "2.0.0"


def test_adding_an_optional_field_requires_minor(model: Path) -> None:
    bump_model(model, "sentiment", schema_file=write_schema(model, SCHEMA))
    release(model, "sentiment", manifest_of(model).version, commit_staged=True)
    wider = json.loads(json.dumps(SCHEMA))
    wider["inputs"]["properties"]["lang"] = {"type": "string"}
    bumped = bump_model(model, "sentiment", schema_file=write_schema(model, wider, "wider.json"))
    assert str(bumped.level) == "minor"
    assert any("compatible: new optional field lang" in w for w in bumped.why)


# --- lineage ------------------------------------------------------------------------------------------

def test_lineage_two_step_chain(model: Path) -> None:
    bump_model(model, "sentiment", base_model="distilbert-base-uncased")
    release(model, "sentiment", "0.1.1", commit_staged=True)
    (model / "data" / "train.csv").write_text("text,label\ngood,pos\nbad,neg\n")
    bump_model(model, "sentiment", parent="sentiment@v0.1.1", base_model="distilbert-base-uncased")
    release(model, "sentiment", manifest_of(model).version, commit_staged=True)
    version = manifest_of(model).version
    (model / "data" / "train.csv").write_text("text,label\ngood,pos\nbad,neg\nok,neu\n")
    bump_model(model, "sentiment", parent=f"sentiment@v{version}")
    release(model, "sentiment", manifest_of(model).version, commit_staged=True)
    chain = lineage_chain(model, "sentiment")
    assert [s.tag for s in chain.steps] == [f"sentiment@v{manifest_of(model).version}",
                                           f"sentiment@v{version}", "sentiment@v0.1.1"]
    assert all(s.date for s in chain.steps)
    hashes = [s.datasets[0]["sha256"] for s in chain.steps]
    assert len(set(hashes)) == 3  # each version pins its own data
    assert chain.steps[-1].base_model == "distilbert-base-uncased"
    assert chain.steps[-1].parent is None


def test_parent_must_name_a_release(model: Path) -> None:
    with pytest.raises(InvalidInput, match="names no release") as info:
        bump_model(model, "sentiment", parent="sentiment@v9.9.9")
    assert info.value.where == "--parent"
    with pytest.raises(InvalidInput, match="not NAME@vX.Y.Z"):
        bump_model(model, "sentiment", parent="sentiment-latest")
    tags = read_tags(model)
    assert parent_problem(tags, "sentiment@v0.1.0") is None
    assert parent_problem(tags, "sentiment@v0.1.0", child="sentiment", child_version="0.1.0") is not None


def test_check_reports_a_dangling_parent(model: Path) -> None:
    path = model / "models/sentiment.yaml"
    data = yaml.safe_load(path.read_text())
    data["lineage"] = {"parent": "sentiment@v0.0.9"}
    data["version"] = "0.1.1"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    result = run_check(model)
    [finding] = [f for f in result.findings if f.path.endswith("lineage.parent")]
    assert finding.rule == "whole"
    assert "sentiment@v0.0.9 names no release" in finding.line()
    with pytest.raises(Refused, match="names no release"):
        lineage_chain(model, "sentiment")


def test_lineage_cycle_is_an_error(model: Path) -> None:
    # Two hand-made releases that name each other: each tag points at a manifest with the other as parent.
    path = model / "models/sentiment.yaml"
    data = yaml.safe_load(path.read_text())
    for version, parent in (("0.2.0", "sentiment@v0.3.0"), ("0.3.0", "sentiment@v0.2.0")):
        data["version"], data["lineage"] = version, {"parent": parent}
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        git(model, "add", "models/sentiment.yaml")
        release(model, "sentiment", version, commit_staged=True)
    with pytest.raises(Refused, match="lineage cycle"):
        lineage_chain(model, "sentiment@v0.3.0")


# --- CLI: the judged scenario ---------------------------------------------------------------------------

def test_cli_env_capture_then_check(model: Path, bare_python: Path) -> None:
    captured = gm(model, "env", "capture", "sentiment", "--package", "PyYAML")
    assert captured.returncode == 0, captured.stderr
    assert "environment updated" in captured.stdout
    same = gm(model, "env", "check", "sentiment")
    assert same.returncode == 0, same.stdout + same.stderr
    assert "environment matches" in same.stdout
    path = model / "models/sentiment.yaml"
    path.write_text(path.read_text().replace(f"pyyaml: {YAML_VERSION}", "pyyaml: 5.0.0"))
    drift = gm(model, "env", "check", "sentiment")
    assert drift.returncode == int(ExitCode.REFUSED)
    [row] = [line for line in drift.stdout.splitlines() if line.startswith("package")]
    assert row.split() == ["package", "pyyaml", "5.0.0", YAML_VERSION, "error"]
    other = gm(model, "env", "check", "sentiment", "--python", str(bare_python), "--json")
    assert other.returncode == int(ExitCode.REFUSED)
    report = json.loads(other.stdout)
    found = {m["name"]: m["found"] for m in report["mismatches"] if m["kind"] == "package"}
    assert found == dict.fromkeys({"pyyaml", *installed_frameworks()})


def test_cli_validate_input(model: Path, tmp_path: Path) -> None:
    bump_model(model, "sentiment", schema_file=write_schema(model, SCHEMA))
    good, bad, broken = tmp_path / "good.jsonl", tmp_path / "bad.jsonl", tmp_path / "broken.jsonl"
    good.write_text('{"text": "a", "user_age": 3}\n')
    bad.write_text('{"text": "a", "user_age": 3}\n{"text": "b", "user_age": 1}\n{"text": "c", "user_age": "abc"}\n')
    broken.write_text('{"text": "a", "user_age": 3}\n{"text": "b"\n')
    ok = gm(model, "validate-input", "sentiment", str(good))
    assert ok.returncode == 0
    assert "1 record(s), 1 valid, 0 invalid" in ok.stdout
    failed = gm(model, "validate-input", "sentiment", str(bad))
    assert failed.returncode == int(ExitCode.REFUSED)
    assert failed.stdout.splitlines()[0] == "row 3: user_age: 'abc' is not of type 'integer'"
    assert "3 record(s), 2 valid, 1 invalid" in failed.stdout
    unparseable = gm(model, "validate-input", "sentiment", str(broken))
    assert unparseable.returncode == int(ExitCode.INVALID_INPUT)
    assert "line 2: invalid JSON" in unparseable.stderr
    assert "Traceback" not in unparseable.stderr


def test_cli_lineage_and_status(model: Path) -> None:
    bump_model(model, "sentiment", base_model="bert-base")
    release(model, "sentiment", "0.1.1", commit_staged=True)
    (model / "data" / "train.csv").write_text("text,label\nnew,neu\n")
    bump_model(model, "sentiment", parent="sentiment@v0.1.1")
    release(model, "sentiment", manifest_of(model).version, commit_staged=True)
    shown = gm(model, "lineage", "sentiment")
    assert shown.returncode == 0, shown.stderr
    heads = [line.split()[0] for line in shown.stdout.splitlines() if line.startswith("sentiment@")]
    assert heads == [f"sentiment@v{manifest_of(model).version}", "sentiment@v0.1.1"]
    assert "base model: bert-base" in shown.stdout
    assert "data: data/train.csv (train)  sha256:" in shown.stdout
    as_json = json.loads(gm(model, "lineage", "sentiment", "--json").stdout)
    assert [s["parent"] for s in as_json["chain"]] == ["sentiment@v0.1.1", None]


def test_cli_bump_schema_then_status_says_breaking_and_major(model: Path) -> None:
    first = gm(model, "bump", "sentiment", "--schema", write_schema(model, SCHEMA))
    assert first.returncode == 0, first.stderr
    git(model, "add", "schema.json")
    released = manifest_of(model).version
    release(model, "sentiment", released, commit_staged=True)
    smaller = json.loads(json.dumps(SCHEMA))
    del smaller["inputs"]["properties"]["user_age"]
    smaller["inputs"]["required"] = ["text"]
    second = gm(model, "bump", "sentiment", "--schema", write_schema(model, smaller, "smaller.json"))
    assert second.returncode == 0, second.stderr
    assert "major bump" in second.stdout
    status = gm(model, "status", "sentiment")
    assert status.returncode == 0, status.stderr
    assert "major: schema.inputs.user_age removed (breaking: field user_age removed)" in status.stdout
    assert f"required bump since {released}: major" in status.stdout


def test_every_reproducibility_command_and_option_has_help() -> None:
    import typer.main

    from gitmodel.cli import app

    root = typer.main.get_command(app)
    env_group = root.commands["env"]  # type: ignore[attr-defined]
    commands = [env_group.commands["capture"], env_group.commands["check"],
                root.commands["validate-input"], root.commands["lineage"]]  # type: ignore[attr-defined]
    for cmd in commands:
        assert "Example: gitmodel " in (cmd.help or ""), cmd.name
        for param in cmd.params:
            assert getattr(param, "help", None), f"{cmd.name}: {param.name}"
    add_options = {p.name for p in root.commands["add"].params}  # type: ignore[attr-defined]
    assert {"parent", "base_model"} <= add_options
