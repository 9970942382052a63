"""The gate, on real temp git repos with real DVC: fresh, bumped, immutable, whole."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gitmodel.gate.check import run_check
from gitmodel.infra.errors import InvalidInput
from gitmodel.model import manifest as mf
from gitmodel.model.schemas import validate
from gitmodel.workspace.init_repo import init_repo
from tests.kit.cli import gm
from tests.kit.files import write
from tests.kit.git import git, git_out, release
from tests.kit.manifests import set_version
from tests.kit.repos import model_repo


def _json(proc: subprocess.CompletedProcess[str]) -> object:
    assert proc.stdout.strip(), proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.slow
def test_the_judged_scenario(tmp_path: Path) -> None:
    """The issue's scenario, through the real CLI, in a brand-new repository (no commit yet)."""
    repo = tmp_path / "fresh"
    repo.mkdir()
    git(repo, "init", "-q")
    assert gm(repo, "init").returncode == 0
    write(repo, "artifacts/model.bin", b"\x00\x01fake weights\xff" * 100)
    write(repo, "data/train.csv", "text,label\ngreat,pos\nawful,neg\n")
    write(repo, "prompts/system.txt", "Classify the sentiment of the ticket.\n")
    add = gm(repo, "add", "sentiment", "--weights", "artifacts/model.bin", "--data", "data/train.csv",
             "--prompt", "prompts/system.txt")
    assert add.returncode == 0, add.stderr
    assert "created models/sentiment.yaml" in add.stdout

    # a schema-valid manifest at 0.1.0 whose sha256 values are sha256sum's, weights behind a .dvc pointer
    manifest_file = repo / "models" / "sentiment.yaml"
    data = mf.parse(manifest_file.read_bytes(), where="models/sentiment.yaml")
    validate(__import__("yaml").safe_load(manifest_file.read_text()), "manifest.v1.json", where="m")
    assert data.version == "0.1.0"
    files = ["artifacts/model.bin", "data/train.csv", "prompts/system.txt"]
    sums = subprocess.run(["sha256sum", *files], cwd=repo, capture_output=True, text=True, check=True).stdout
    expected = {line.split()[1]: line.split()[0] for line in sums.splitlines()}
    assert {e.path: e.sha256 for _, e in data.files()} == expected
    (weights,) = data.weights
    assert weights.storage == "dvc"
    pointer = (repo / "artifacts" / "model.bin.dvc").read_text()
    assert f"md5: {weights.md5}" in pointer
    assert "artifacts/model.bin.dvc" in git_out(repo, "diff", "--cached", "--name-only")
    assert "artifacts/model.bin\n" not in git_out(repo, "ls-files")  # the weights themselves are not in git

    check = gm(repo, "check")
    assert check.returncode == 0, check.stderr
    assert _json(gm(repo, "check", "--json"))["ok"] is True  # type: ignore[index]

    git(repo, "commit", "-q", "-m", "add sentiment")
    release(repo, "sentiment", "0.1.0")
    write(repo, "prompts/system.txt", "Classify the sentiment. Be terse.\n")
    check = gm(repo, "check")
    assert check.returncode == 1
    assert "prompts/system.txt" in check.stderr
    assert "gitmodel bump sentiment" in check.stderr
    assert "Traceback" not in check.stderr
    report = _json(gm(repo, "check", "--json"))
    assert report["ok"] is False  # type: ignore[index]
    assert [v["path"] for v in report["violations"]] == ["prompts/system.txt"]  # type: ignore[index]

    bump = gm(repo, "bump", "sentiment")
    assert bump.returncode == 0, bump.stderr
    assert "0.1.0 → 0.2.0" in bump.stdout
    assert mf.load(manifest_file).version == "0.2.0"
    assert gm(repo, "check").returncode == 0

    set_version(repo, "sentiment", "0.1.1")  # a hand-set patch where the policy requires minor
    check = gm(repo, "check")
    assert check.returncode == 1
    assert "0.1.1 is not a minor bump of the latest release 0.1.0" in check.stderr

    bumped = _json(gm(repo, "bump", "sentiment", "--json"))
    assert bumped["new_version"] == "0.2.0"  # type: ignore[index]
    for args in (["ls"], ["status"], ["status", "sentiment"], ["show", "sentiment"],
                 ["show", "sentiment@v0.1.0"], ["validate"], ["check"]):
        _json(gm(repo, *args, "--json"))


def test_a_fresh_unreleased_model_passes_with_any_version(repo: Path) -> None:
    model_repo(repo, dvc=False)
    assert run_check(repo).ok
    set_version(repo, "sentiment", "0.0.1")  # unreleased models need only be fresh
    assert run_check(repo).ok


def test_a_changed_git_file_is_stale_and_names_the_fix(repo: Path) -> None:
    model_repo(repo, dvc=False)
    write(repo, "data/train.csv", "text,label\nbad,neg\n")
    result = run_check(repo)
    (finding,) = result.findings
    assert (finding.rule, finding.path) == ("fresh", "data/train.csv")
    assert finding.fix == "gitmodel bump sentiment"
    assert "data/train.csv" in finding.line()
    assert "gitmodel bump sentiment" in finding.line()


def test_a_missing_file_is_reported_as_whole(repo: Path) -> None:
    model_repo(repo, dvc=False)
    (repo / "prompts" / "system.txt").unlink()
    (finding,) = run_check(repo).findings
    assert (finding.rule, finding.path) == ("whole", "prompts/system.txt")
    assert "missing" in finding.message


def test_staged_check_reads_the_index_not_the_working_tree(repo: Path) -> None:
    model_repo(repo, dvc=False)
    prompt = repo / "prompts" / "system.txt"
    original = prompt.read_text()
    # stage a change, then revert the working file: the commit would record the change
    prompt.write_text("edited\n")
    git(repo, "add", "prompts/system.txt")
    prompt.write_text(original)
    staged = run_check(repo, mode="index")
    assert [f.path for f in staged.findings] == ["prompts/system.txt"]
    assert staged.source == "index"
    assert run_check(repo).ok
    # and the other way round: an unstaged edit does not fail the staged check
    git(repo, "add", "prompts/system.txt")
    prompt.write_text("edited again\n")
    assert run_check(repo, mode="index").ok
    assert [f.path for f in run_check(repo).findings] == ["prompts/system.txt"]


def test_a_staged_manifest_is_judged_from_the_index(repo: Path) -> None:
    model_repo(repo, dvc=False)
    release(repo, "sentiment", "0.1.0")
    write(repo, "prompts/system.txt", "new prompt\n")
    from gitmodel.workspace.edit import bump_model

    bump_model(repo, "sentiment")  # stages manifest and prompt at 0.2.0
    assert run_check(repo, mode="index").ok
    set_version(repo, "sentiment", "0.1.0")  # unstaged: the index still holds 0.2.0
    assert run_check(repo, mode="index").ok
    assert not run_check(repo).ok


def test_a_file_not_staged_says_git_add(repo: Path) -> None:
    model_repo(repo, dvc=False, commit=False)
    git(repo, "rm", "-q", "--cached", "prompts/system.txt")
    (finding,) = run_check(repo, mode="index").findings
    assert (finding.rule, finding.fix) == ("whole", "git add prompts/system.txt")


def test_released_manifest_changed_at_the_same_version_is_immutable(repo: Path) -> None:
    model_repo(repo, dvc=False)
    release(repo, "sentiment", "0.1.0")
    path = repo / "models" / "sentiment.yaml"
    path.write_text(path.read_text() + "description: now with words\n")
    (finding,) = run_check(repo).findings
    assert finding.rule == "immutable"
    assert "already released" in finding.message


def test_a_lowered_version_is_refused(repo: Path) -> None:
    model_repo(repo, dvc=False)
    set_version(repo, "sentiment", "0.3.0")
    git(repo, "commit", "-qam", "0.3.0")
    release(repo, "sentiment", "0.3.0")
    set_version(repo, "sentiment", "0.2.0")
    (finding,) = run_check(repo).findings
    assert finding.rule == "immutable"
    assert "lower than the latest release 0.3.0" in finding.message


def test_deleted_manifest_with_a_release_is_reported(repo: Path) -> None:
    model_repo(repo, dvc=False)
    release(repo, "sentiment", "0.1.0")
    git(repo, "rm", "-q", "models/sentiment.yaml")
    result = run_check(repo)
    (finding,) = result.findings
    assert (finding.model, finding.rule) == ("sentiment", "whole")
    assert "sentiment@v0.1.0" in finding.message
    assert not run_check(repo, mode="index").ok
    # retiring it on purpose silences the report
    git(repo, "tag", "-a", "sentiment@deprecated", "-m", "retired")
    assert run_check(repo).ok


def test_a_lightweight_tag_is_not_a_release_and_says_so(repo: Path) -> None:
    model_repo(repo, dvc=False)
    git(repo, "tag", "sentiment@v0.1.0")
    write(repo, "prompts/system.txt", "changed\n")
    result = run_check(repo)
    assert any("lightweight" in w for w in result.warnings)
    assert [f.rule for f in result.findings] == ["fresh"]
    assert result.models[0].released is None


def test_dvc_pointer_changed_without_the_manifest_is_reported(repo: Path) -> None:
    model_repo(repo)
    write(repo, "artifacts/model.bin", b"\x00retrained weights" * 50)
    subprocess.run([sys.executable, "-m", "dvc", "add", "-q", "artifacts/model.bin"], cwd=repo, check=True,
                   capture_output=True)
    git(repo, "add", "artifacts/model.bin.dvc")
    for mode in ("worktree", "index"):
        (finding,) = run_check(repo, mode=mode).findings
        assert (finding.rule, finding.path) == ("fresh", "artifacts/model.bin")
        assert "DVC pointer" in finding.message


def test_dvc_file_edited_in_place_is_stale_in_the_working_tree(repo: Path) -> None:
    model_repo(repo)
    write(repo, "artifacts/model.bin", b"\x00overwritten in place")
    (finding,) = run_check(repo).findings
    assert (finding.rule, finding.path) == ("fresh", "artifacts/model.bin")
    assert "changed since it was tracked" in finding.message
    # the index holds only the pointer, which did not change
    assert run_check(repo, mode="index").ok


def test_a_missing_pointer_is_reported(repo: Path) -> None:
    model_repo(repo)
    git(repo, "rm", "-q", "artifacts/model.bin.dvc")
    (finding,) = run_check(repo).findings
    assert finding.rule == "whole"
    assert "artifacts/model.bin.dvc" in finding.message


def test_base_catches_a_version_moved_backwards(repo: Path) -> None:
    model_repo(repo, dvc=False)
    set_version(repo, "sentiment", "0.4.0")
    git(repo, "commit", "-qam", "0.4.0")
    git(repo, "branch", "base")
    set_version(repo, "sentiment", "0.3.0")
    git(repo, "commit", "-qam", "back to 0.3.0")
    result = run_check(repo, base="base")
    assert result.source == "commit HEAD"
    (finding,) = result.findings
    assert "version lowered since base (0.4.0 → 0.3.0)" in finding.message
    # --staged with --base judges the index, and still runs the history check
    set_version(repo, "sentiment", "0.5.0")
    git(repo, "add", "models/sentiment.yaml")
    staged = run_check(repo, mode="index", base="base")
    assert staged.source == "index"
    assert staged.ok


def test_base_tolerates_a_broken_manifest_in_history(repo: Path) -> None:
    model_repo(repo, dvc=False, commit=False)
    good = (repo / "models" / "sentiment.yaml").read_text()
    (repo / "models" / "sentiment.yaml").write_text("name: [broken\n")
    git(repo, "commit", "-qam", "broken")
    git(repo, "branch", "base")
    (repo / "models" / "sentiment.yaml").write_text(good)
    git(repo, "commit", "-qam", "fixed")
    assert run_check(repo, base="base").ok
    with pytest.raises(InvalidInput, match="unknown revision"):
        run_check(repo, base="no-such-branch")


def test_a_manifest_whose_name_does_not_match_its_file(repo: Path) -> None:
    model_repo(repo, dvc=False)
    (repo / "models" / "other.yaml").write_text((repo / "models" / "sentiment.yaml").read_text())
    with pytest.raises(InvalidInput, match="does not match") as info:
        run_check(repo)
    assert info.value.where == "models/other.yaml: name"


def test_policy_from_config_sets_the_required_level(repo: Path) -> None:
    model_repo(repo, dvc=False)
    release(repo, "sentiment", "0.1.0")
    (repo / ".gitmodel.yaml").write_text("policy: {prompts: patch}\n")
    write(repo, "prompts/system.txt", "changed\n")
    from gitmodel.workspace.edit import bump_model

    assert bump_model(repo, "sentiment").new_version == "0.1.1"
    assert run_check(repo).ok


def test_an_empty_repository_checks_clean(tmp_path: Path) -> None:
    root = tmp_path / "empty"
    root.mkdir()
    git(root, "init", "-q")
    init_repo(root, hooks=False, dvc=False)
    result = run_check(root)
    assert result.ok
    assert result.models == []
    assert run_check(root, mode="index").ok


def test_json_schema_runs_on_changed_manifests_only(repo: Path) -> None:
    """Committed manifests passed validation on their way in; `validate` still checks every file."""
    model_repo(repo, dvc=False, commit=False)
    path = repo / "models" / "sentiment.yaml"
    path.write_text(path.read_text() + "metrics:\n  accuracy: [0.9, 0.8]\n")  # only the JSON Schema refuses it
    with pytest.raises(InvalidInput, match="metrics.accuracy"):
        run_check(repo)
    git(repo, "add", "-A")
    with pytest.raises(InvalidInput, match="metrics.accuracy"):
        run_check(repo, mode="index")
    git(repo, "commit", "-q", "--no-verify", "-m", "committed past the hook")
    assert run_check(repo).ok
    from gitmodel.model.validation import validate_paths

    with pytest.raises(InvalidInput, match="metrics.accuracy"):
        validate_paths(repo, [])
    git(repo, "branch", "base", "HEAD~1")
    with pytest.raises(InvalidInput, match="metrics.accuracy"):
        run_check(repo, base="base")
