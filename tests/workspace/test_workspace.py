"""`add` and `bump` on real repos: storage choice, DVC pointers, the bump rule's version."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitmodel.infra.errors import InvalidInput
from gitmodel.infra.hashing import sha256_file
from gitmodel.model import manifest as mf
from gitmodel.model.semver import Level
from gitmodel.storage.dvc_pointers import parse_pointer
from gitmodel.workspace.edit import add_model, bump_model
from gitmodel.workspace.init_repo import init_repo
from tests.kit.files import snapshot, write
from tests.kit.git import git, git_out, release
from tests.kit.manifests import set_version
from tests.kit.repos import model_repo


def test_add_pins_every_file_and_stages_what_a_commit_needs(repo: Path) -> None:
    model_repo(repo, commit=False)
    m = mf.load(repo / "models" / "sentiment.yaml")
    assert m.version == "0.1.0"
    for _, entry in m.files():
        assert entry.sha256 == sha256_file(repo / entry.path)
        assert entry.size == (repo / entry.path).stat().st_size
    storages = {e.path: e.storage for _, e in m.files()}
    assert storages == {"artifacts/model.bin": "dvc", "data/train.csv": "git", "prompts/system.txt": "git"}
    pointer = parse_pointer((repo / "artifacts/model.bin.dvc").read_bytes(), where="p")
    assert m.weights[0].md5 == pointer.md5
    staged = set(git_out(repo, "diff", "--cached", "--name-only").split())
    assert {"models/sentiment.yaml", "artifacts/model.bin.dvc", "artifacts/.gitignore", "data/train.csv",
            "prompts/system.txt", ".gitmodel.yaml"} <= staged
    assert "artifacts/model.bin" not in staged


def test_small_text_weights_still_go_through_dvc(repo: Path) -> None:
    init_repo(repo, hooks=False)
    write(repo, "w.txt", "tiny text weights\n")
    result = add_model(repo, "m", weights=["w.txt"])
    assert result.manifest.weights[0].storage == "dvc"


def test_storage_overrides_and_binary_or_large_data(repo: Path) -> None:
    init_repo(repo, hooks=False)
    write(repo, "w.bin", b"\x00\x01")
    write(repo, "data/big.csv", "x\n" * 600_000)  # over 1 MiB of text
    write(repo, "data/img.png", b"\x89PNG\r\n\x1a\n\xff\xfe")
    write(repo, "data/small.csv", "a,b\n")
    result = add_model(repo, "m", weights=["w.bin"], data=["data/big.csv", "data/img.png", "data/small.csv"],
                       force_git=["w.bin"])
    storages = {e.path: e.storage for _, e in result.manifest.files()}
    assert storages == {"w.bin": "git", "data/big.csv": "dvc", "data/img.png": "dvc", "data/small.csv": "git"}


def test_a_data_directory_is_hashed_as_designed(repo: Path) -> None:
    init_repo(repo, hooks=False)
    write(repo, "w.bin", b"\x00")
    write(repo, "data/set/a.txt", "a\n")
    write(repo, "data/set/sub/b.txt", "b\n")
    result = add_model(repo, "m", weights=["w.bin"], data=["data/set"])
    (entry,) = result.manifest.data
    assert entry.storage == "dvc"
    assert entry.nfiles == 2
    assert entry.md5 is not None
    assert entry.md5.endswith(".dir")
    import hashlib

    lines = "".join(f"{sha256_file(repo / 'data/set' / p)}  {p}\n" for p in ("a.txt", "sub/b.txt"))
    assert entry.sha256 == hashlib.sha256(lines.encode()).hexdigest()


@pytest.mark.parametrize(("kwargs", "where"), [
    ({"weights": ["missing.bin"]}, "--weights"),
    ({"weights": ["w.bin"], "version": "1.0"}, "--version"),
    ({"weights": ["w.bin", "w.bin"]}, "--weights"),
    ({"weights": ["w.bin"], "prompts": ["p.txt"], "force_git": ["other.txt"]}, "--git/--dvc/--lfs"),
    ({"weights": ["data"]}, "--weights"),
    ({"weights": []}, "--weights"),
])
def test_add_refuses_bad_input_before_touching_anything(repo: Path, kwargs: dict, where: str) -> None:
    init_repo(repo, hooks=False)
    write(repo, "w.bin", b"\x00")
    write(repo, "p.txt", "p\n")
    write(repo, "other.txt", "o\n")
    write(repo, "data/x.csv", "x\n")
    before = snapshot(repo)
    with pytest.raises(InvalidInput) as info:
        add_model(repo, "m", **kwargs)
    assert info.value.where == where
    assert snapshot(repo) == before


def test_add_refuses_an_existing_model(repo: Path) -> None:
    model_repo(repo, dvc=False)
    with pytest.raises(InvalidInput, match="already exists"):
        add_model(repo, "sentiment", weights=["artifacts/model.bin"])


def test_bump_of_an_unchanged_model_changes_nothing(repo: Path) -> None:
    model_repo(repo, dvc=False)
    before = (repo / "models/sentiment.yaml").read_text()
    result = bump_model(repo, "sentiment")
    assert result.old_version == result.new_version == "0.1.0"
    assert (repo / "models/sentiment.yaml").read_text() == before


def test_bump_of_an_unreleased_model_rehashes_and_keeps_the_version(repo: Path) -> None:
    model_repo(repo, dvc=False)
    write(repo, "prompts/system.txt", "new\n")
    result = bump_model(repo, "sentiment")
    assert result.new_version == "0.1.0"
    assert mf.load(repo / "models/sentiment.yaml").prompts[0].sha256 == sha256_file(repo / "prompts/system.txt")
    # an explicit floor moves an unreleased version from where it is
    assert bump_model(repo, "sentiment", floor=Level.MINOR).new_version == "0.2.0"


@pytest.mark.parametrize(("current", "floor", "expected"), [
    ("0.1.0", Level.NONE, "0.2.0"),    # release + the level prompts require
    ("0.1.1", Level.NONE, "0.2.0"),    # a hand-set patch is not enough
    ("0.2.0", Level.NONE, "0.2.0"),    # already satisfies: kept
    ("0.5.0", Level.NONE, "0.5.0"),
    ("0.2.0", Level.PATCH, "0.2.0"),   # the floor is below what is there
    ("0.2.0", Level.MAJOR, "1.0.0"),   # the floor raises it
    ("0.1.0", Level.MAJOR, "1.0.0"),
])
def test_bump_follows_the_rule(repo: Path, current: str, floor: Level, expected: str) -> None:
    model_repo(repo, dvc=False)
    release(repo, "sentiment", "0.1.0")
    write(repo, "prompts/system.txt", "a new prompt\n")
    set_version(repo, "sentiment", current)
    result = bump_model(repo, "sentiment", floor=floor)
    assert result.new_version == expected
    assert result.released == "0.1.0"
    assert any("prompts/system.txt" in why for why in result.why)
    from gitmodel.gate.check import run_check

    assert run_check(repo).ok
    # bump is idempotent once the version satisfies the rule
    assert bump_model(repo, "sentiment", floor=floor).new_version == expected


def test_bump_with_a_floor_and_no_change_since_the_release(repo: Path) -> None:
    model_repo(repo, dvc=False)
    release(repo, "sentiment", "0.1.0")
    assert bump_model(repo, "sentiment").new_version == "0.1.0"
    assert bump_model(repo, "sentiment", floor=Level.PATCH).new_version == "0.1.1"


def test_bump_retracks_changed_dvc_weights(repo: Path) -> None:
    model_repo(repo)
    release(repo, "sentiment", "0.1.0")
    write(repo, "artifacts/model.bin", b"\x00retrained" * 30)
    result = bump_model(repo, "sentiment")
    assert result.retracked == ["artifacts/model.bin"]
    assert result.new_version == "0.2.0"
    m = mf.load(repo / "models/sentiment.yaml")
    pointer = parse_pointer((repo / "artifacts/model.bin.dvc").read_bytes(), where="p")
    assert m.weights[0].md5 == pointer.md5
    assert m.weights[0].sha256 == sha256_file(repo / "artifacts/model.bin")
    assert "artifacts/model.bin.dvc" in git_out(repo, "diff", "--cached", "--name-only")


def test_bump_of_a_missing_model(repo: Path) -> None:
    with pytest.raises(InvalidInput, match="no such model") as info:
        bump_model(repo, "ghost")
    assert info.value.where == "models/ghost.yaml"


def test_a_broken_params_file_leaves_no_dvc_pointer_behind(repo: Path) -> None:
    init_repo(repo, hooks=False)
    write(repo, "w.bin", b"\x00weights")
    write(repo, "params.yaml", "lr: [0.1\n")
    before = snapshot(repo)
    with pytest.raises(InvalidInput, match="invalid YAML") as info:
        add_model(repo, "m", weights=["w.bin"], params_file="params.yaml")
    assert info.value.where == "params.yaml"
    assert snapshot(repo) == before


def test_a_deregistered_version_is_never_reused(repo: Path) -> None:
    model_repo(repo, dvc=False)
    release(repo, "sentiment", "0.1.0")
    write(repo, "prompts/system.txt", "second\n")
    bump_model(repo, "sentiment")
    git(repo, "commit", "-qm", "0.2.0")
    release(repo, "sentiment", "0.2.0")
    git(repo, "tag", "-a", "sentiment@v0.2.0!", "-m", "deregistered: bad prompt")
    from gitmodel.gate.check import run_check

    (finding,) = run_check(repo).findings
    assert "already used by the tag sentiment@v0.2.0" in finding.message
    write(repo, "prompts/system.txt", "third\n")
    assert bump_model(repo, "sentiment").new_version == "0.3.0"
    assert run_check(repo).ok


def test_bump_with_a_bad_schema_file_leaves_the_dvc_pointer_alone(repo: Path) -> None:
    model_repo(repo)
    write(repo, "artifacts/model.bin", b"\x00retrained")
    write(repo, "schema.yaml", "inputs: [not, a, schema]\n")
    before = snapshot(repo)
    with pytest.raises(InvalidInput) as info:
        bump_model(repo, "sentiment", schema_file="schema.yaml")
    assert info.value.where == "schema.yaml: inputs"
    assert snapshot(repo) == before


def test_bump_with_a_schema_file_and_a_breaking_change_is_major(repo: Path) -> None:
    model_repo(repo, dvc=False)
    write(repo, "schema.yaml", "inputs: {type: object, properties: {text: {type: string}}}\n")
    bump_model(repo, "sentiment", schema_file="schema.yaml")
    git(repo, "commit", "-qam", "schema")
    release(repo, "sentiment", "0.1.0")
    write(repo, "schema.yaml", "inputs: {type: object, properties: {}}\n")
    result = bump_model(repo, "sentiment", schema_file="schema.yaml")
    assert (result.level, result.new_version) == (Level.MAJOR, "1.0.0")
    assert any("field text removed" in why for why in result.why)


def test_init_is_idempotent_and_refuses_a_broken_config(repo: Path) -> None:
    first = init_repo(repo, hooks=False)
    assert ".gitmodel.yaml" in first.created
    assert ".dvc/" in first.created
    assert (repo / "models").is_dir()
    assert ".gitmodel.yaml" in git_out(repo, "diff", "--cached", "--name-only")
    second = init_repo(repo, hooks=False)
    assert second.created == []
    assert any("already exists" in note for note in second.notes)
    (repo / ".gitmodel.yaml").write_text("policy: {weights: huge}\n")
    before = snapshot(repo)
    with pytest.raises(InvalidInput) as info:
        init_repo(repo, hooks=False)
    assert info.value.where == ".gitmodel.yaml: policy.weights"
    assert snapshot(repo) == before
