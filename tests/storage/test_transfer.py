"""gitmodel/storage/transfer.py, verify.py and checkout.py without a DVC remote: `verify` (the work tree rehashed against a manifest or a
release), `checkout` of a release's git-stored components (what it restores, what it refuses to overwrite,
what it leaves alone), `pull` of a model with nothing in DVC, and the md5 de-duplication behind push/pull."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from gitmodel.infra.errors import InvalidInput, Refused
from gitmodel.model.manifest import FileEntry
from gitmodel.storage.checkout import checkout
from gitmodel.storage.dvc_backend import dedupe
from gitmodel.storage.transfer import pull
from gitmodel.storage.verify import FileCheck, verify
from gitmodel.workspace.edit import bump_model
from tests.kit.files import write
from tests.kit.git import commit_all, git, git_out, release
from tests.kit.manifests import set_entry
from tests.kit.repos import released_in_git

WEIGHTS = "model.txt"
V2_SHA = hashlib.sha256(b"weights v2\n").hexdigest()
TAMPERED_SHA = hashlib.sha256(b"tampered\n").hexdigest()


@pytest.fixture
def two(repo: Path) -> Path:
    """sentiment 0.1.0 (weights "weights v1") and 0.2.0 (weights "weights v2"), both released, in git."""
    released_in_git(repo, WEIGHTS)
    write(repo, WEIGHTS, "weights v2\n")
    assert bump_model(repo, "sentiment").new_version == "0.2.0"
    commit_all(repo, "sentiment 0.2.0")
    release(repo, "sentiment")
    return repo


# ----------------------------------------------------------------------------------------------- verify


def test_verify_a_clean_work_tree(two: Path) -> None:
    report = verify(two)
    assert report.ok
    assert report.mismatches() == []
    (model,) = report.models
    assert (model.name, model.version, model.against) == ("sentiment", "0.2.0", "models/sentiment.yaml")
    assert report.to_json()["ok"] is True


def test_verify_names_a_changed_and_a_missing_file(two: Path) -> None:
    write(two, WEIGHTS, "tampered\n")
    (changed,) = [f for _, f in verify(two).mismatches()]
    assert changed.line() == f"{WEIGHTS}: expected sha256 {V2_SHA}, got {TAMPERED_SHA}"
    (two / WEIGHTS).unlink()
    (missing,) = [f for _, f in verify(two).mismatches()]
    assert missing.actual is None
    assert missing.line() == f"{WEIGHTS}: missing (expected sha256 {V2_SHA})"


def test_verify_a_release_judges_the_work_tree_against_that_release(two: Path) -> None:
    report = verify(two, "sentiment@v0.1.0")
    assert not report.ok
    assert report.models[0].against == "sentiment@v0.1.0"
    assert [f.path for _, f in report.mismatches()] == [WEIGHTS]
    assert verify(two, "sentiment@v0.2.0").ok


def test_verify_under_autocrlf_judges_the_stored_blob(two: Path) -> None:
    git(two, "config", "core.autocrlf", "true")
    write(two, WEIGHTS, b"weights v2\r\n")        # a CRLF checkout of the LF blob: the same file
    assert verify(two).ok


def test_verify_an_unknown_model_or_a_path_out_of_the_repo_is_invalid_input(two: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such model"):
        verify(two, "nosuch")
    outside = tmp_path / "outside.txt"
    outside.write_text("weights v2\n")
    (two / WEIGHTS).unlink()
    (two / WEIGHTS).symlink_to(outside)
    with pytest.raises(InvalidInput):
        verify(two)


def test_file_check_note_wins_over_the_sha_line() -> None:
    check = FileCheck("weights", "w.bin", "a" * 64, "b" * 64, note="an LFS pointer: not downloaded")
    assert not check.ok
    assert check.line() == "w.bin: an LFS pointer: not downloaded"


# --------------------------------------------------------------------------------------------- checkout


def test_checkout_an_older_release_restores_its_files_and_leaves_head_and_index(two: Path) -> None:
    head_before = git_out(two, "rev-parse", "HEAD")
    report = checkout(two, "sentiment@v0.1.0")
    assert (two / WEIGHTS).read_text() == "weights v1\n"
    assert "version: 0.1.0" in (two / "models/sentiment.yaml").read_text()
    assert (report.version, report.tag, report.verify.ok, report.fetched) == ("0.1.0", "sentiment@v0.1.0", True, [])
    assert set(report.restored) == {"models/sentiment.yaml", WEIGHTS}
    assert git_out(two, "rev-parse", "HEAD") == head_before
    assert git_out(two, "diff", "--cached", "--name-only") == ""
    assert sorted(git_out(two, "diff", "--name-only").split()) == sorted([WEIGHTS, "models/sentiment.yaml"])


def test_checkout_back_from_an_older_release_needs_no_force(two: Path) -> None:
    checkout(two, "sentiment@v0.1.0")
    report = checkout(two, "sentiment@v0.2.0")   # the work tree holds a release: nothing would be lost
    assert report.verify.ok
    assert git_out(two, "status", "--porcelain") == ""


def test_checkout_refuses_to_overwrite_uncommitted_work_unless_forced(two: Path) -> None:
    write(two, WEIGHTS, "work in progress\n")
    with pytest.raises(Refused, match=f"uncommitted changes would be overwritten: {WEIGHTS}"):
        checkout(two, "sentiment@v0.1.0")
    assert (two / WEIGHTS).read_text() == "work in progress\n"     # nothing was touched
    checkout(two, "sentiment@v0.1.0", force=True)
    assert (two / WEIGHTS).read_text() == "weights v1\n"


def test_checkout_leaves_files_outside_the_release_alone(two: Path) -> None:
    write(two, "notes.txt", "mine\n")
    write(two, "README.md", "edited, not pinned\n")
    checkout(two, "sentiment@v0.1.0")
    assert (two / "notes.txt").read_text() == "mine\n"
    assert (two / "README.md").read_text() == "edited, not pinned\n"


@pytest.mark.parametrize(("ref", "says"), [
    ("sentiment", "name a release"), ("sentiment@v9.9.9", r"no release sentiment@v9\.9\.9 \(releases: "),
])
def test_checkout_needs_an_existing_release(two: Path, ref: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        checkout(two, ref)


# ------------------------------------------------------------------------------------------------- pull


def test_pull_of_a_model_with_nothing_in_dvc_fetches_nothing(two: Path) -> None:
    report = pull(two)
    assert (report.remote, report.fetched, report.checked_out) == (None, [], [])
    assert report.in_git == [WEIGHTS]
    assert report.verify.ok


def test_pull_refuses_a_manifest_that_calls_a_git_tracked_file_dvc_stored(two: Path) -> None:
    set_entry(two, WEIGHTS, storage="dvc")
    with pytest.raises(InvalidInput, match=f"{WEIGHTS} is tracked by git, but models/sentiment.yaml says DVC"):
        pull(two)
    assert (two / WEIGHTS).read_text() == "weights v2\n"


# ------------------------------------------------------------------------------------------------ dedupe


def test_dedupe_keeps_one_dvc_entry_per_md5_and_drops_the_rest() -> None:
    a = FileEntry("a.bin", "1" * 64, 1, "dvc", md5="m1")
    same_bytes_elsewhere = FileEntry("copy/a.bin", "1" * 64, 1, "dvc", md5="m1")
    b = FileEntry("b.bin", "2" * 64, 1, "dvc", md5="m2")
    in_git = FileEntry("p.txt", "3" * 64, 1, "git")
    no_md5 = FileEntry("c.bin", "4" * 64, 1, "dvc")
    assert dedupe([a, in_git, same_bytes_elsewhere, no_md5, b]) == [a, b]
    assert dedupe([]) == []
