"""ls, status and show: read-only views built from one tag read."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitmodel.gate.check import run_check
from gitmodel.infra.errors import InvalidInput, Refused
from gitmodel.repo import tags as tags_mod
from gitmodel.repo.refs import show_model
from gitmodel.review.status import list_models, model_status
from tests.kit.files import write
from tests.kit.git import git, release
from tests.kit.manifests import set_version
from tests.kit.repos import model_repo


def test_ls_reads_tags_once_and_says_fresh_or_stale(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model_repo(repo, dvc=False)
    release(repo, "sentiment", "0.1.0")
    calls = []
    original = tags_mod.read_tags

    def counting(*args: object, **kwargs: object) -> tags_mod.TagIndex:
        calls.append(args)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("gitmodel.review.status.read_tags", counting)
    monkeypatch.setattr("gitmodel.gate.check.read_tags", counting)
    (summary,), warnings = list_models(repo)
    assert len(calls) == 1
    assert (summary.name, summary.version, summary.released, summary.state) == ("sentiment", "0.1.0", "0.1.0",
                                                                                 "fresh")
    assert warnings == []
    # a version that still needs a bump is stale too, though every hash matches
    write(repo, "prompts/system.txt", "changed\n")
    from gitmodel.workspace.edit import bump_model

    bump_model(repo, "sentiment")
    set_version(repo, "sentiment", "0.1.1")
    (summary,), _ = list_models(repo)
    assert summary.fresh is True
    assert summary.state == "stale"
    assert summary.to_json()["state"] == "stale"
    assert "not a minor bump" in summary.problems[0]


def test_status_reports_changes_since_the_release(repo: Path) -> None:
    model_repo(repo, dvc=False)
    release(repo, "sentiment", "0.1.0")
    write(repo, "prompts/system.txt", "changed\n")
    (report,), _ = model_status(repo, ["sentiment"])
    assert not report.ok
    assert report.findings[0].path == "prompts/system.txt"
    from gitmodel.workspace.edit import bump_model

    bump_model(repo, "sentiment")
    (report,), _ = model_status(repo)
    assert report.ok
    assert report.required == "minor"
    data = report.to_json()
    assert data["changes_since_release"][0]["key"] == "prompts/system.txt"
    with pytest.raises(InvalidInput, match="no such model"):
        model_status(repo, ["ghost"])


def test_show_at_head_at_a_release_and_in_a_stage(repo: Path) -> None:
    model_repo(repo, dvc=False)
    head = show_model(repo, "sentiment")
    assert head.commit is not None
    assert head.release is None
    fingerprint = head.manifest.fingerprint()
    git(repo, "tag", "-a", "sentiment@v0.1.0", "-m", f"release\n\nfingerprint: sha256:{fingerprint}\n")
    git(repo, "tag", "-a", "sentiment#prod#1", "-m", "promote")
    at_release = show_model(repo, "sentiment@v0.1.0")
    assert at_release.release is not None
    assert at_release.fingerprint_ok is True
    assert at_release.releases == ["0.1.0"]
    staged = show_model(repo, "sentiment#prod")
    assert staged.stages == {"prod": "0.1.0"}
    assert staged.manifest.version == "0.1.0"
    with pytest.raises(Refused):
        show_model(repo, "sentiment#staging")
    with pytest.raises(InvalidInput, match="no release"):
        show_model(repo, "sentiment@v2.0.0")


def test_show_of_an_uncommitted_model_reads_the_working_copy(repo: Path) -> None:
    model_repo(repo, dvc=False, commit=False)
    result = show_model(repo, "sentiment")
    assert result.commit is None
    assert result.manifest.name == "sentiment"


def test_a_fingerprint_mismatch_is_detected(repo: Path) -> None:
    model_repo(repo, dvc=False)
    git(repo, "tag", "-a", "sentiment@v0.1.0", "-m", "release\n\nfingerprint: sha256:" + "0" * 64 + "\n")
    assert show_model(repo, "sentiment@v0.1.0").fingerprint_ok is False


def test_a_release_without_a_readable_manifest_is_a_warning(repo: Path) -> None:
    git(repo, "tag", "-a", "sentiment@v0.1.0", "-m", "made on the wrong commit")
    model_repo(repo, dvc=False)
    result = run_check(repo)
    assert result.ok
    assert any("cannot be read" in w for w in result.warnings)
