"""gitmodel/gate/prepush.py: git's pre-push lines and the pre-commit framework's variables read as pushed
refs; the remote's release tags listed and merged into the local index; deleting or moving a published
release refused — with real repos and a real bare remote."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitmodel.gate.prepush import (
    ZERO_OIDS,
    PushedRef,
    judge_push,
    merge_remote_releases,
    parse_push_lines,
    refs_from_pre_commit_framework,
    remote_of_pre_commit_framework,
    remote_release_tags,
)
from gitmodel.infra.errors import ExternalFailure, InvalidInput
from gitmodel.repo.tags import read_tags
from tests.kit.git import bare_remote, commit_all, git, head
from tests.kit.repos import released_in_git

A, B = "a" * 40, "b" * 40
ZERO = ZERO_OIDS[0]


# ------------------------------------------------------------------------------------ pushed refs


def test_parse_push_lines_keeps_only_four_field_lines() -> None:
    data = (f"refs/heads/main {A} refs/heads/main {B}\n"
            "garbage line\n\n"
            f"refs/tags/m@v1.0.0 {A} refs/tags/m@v1.0.0 {ZERO}\n").encode()
    assert parse_push_lines(data) == [PushedRef("refs/heads/main", A, "refs/heads/main", B),
                                      PushedRef("refs/tags/m@v1.0.0", A, "refs/tags/m@v1.0.0", ZERO)]
    assert parse_push_lines(b"") == []


def test_parse_push_lines_survives_bytes_that_are_not_utf8() -> None:
    (ref,) = parse_push_lines(b"refs/heads/caf\xe9 " + A.encode() + b" refs/heads/caf\xe9 " + ZERO.encode() + b"\n")
    assert ref.local_ref == "refs/heads/caf\udce9"
    assert ref.local_sha == A


@pytest.mark.parametrize(("remote_ref", "tag"), [
    ("refs/tags/m@v1.0.0", "m@v1.0.0"),
    ("refs/tags/team/m@v1.0.0-rc.1", "team/m@v1.0.0-rc.1"),
    ("refs/tags/m@v1.0.0!", None),                 # a deregistration is no release
    ("refs/tags/m#prod#3", None),
    ("refs/tags/m@v1.0.0#approved-by#qa", None),
    ("refs/heads/m@v1.0.0", None),                 # a branch with a release's name
    ("refs/tags/v1.0.0", None),
])
def test_release_tag_of_a_pushed_ref(remote_ref: str, tag: str | None) -> None:
    assert PushedRef("x", A, remote_ref, ZERO).release_tag == tag


def test_deleting_and_on_remote_for_sha1_and_sha256_zero_ids() -> None:
    for zero in ZERO_OIDS:
        assert PushedRef("(delete)", zero, "refs/tags/m@v1.0.0", A).deleting
        assert not PushedRef("x", A, "refs/heads/main", zero).on_remote
    assert PushedRef("x", A, "refs/heads/main", B).on_remote


def test_refs_from_the_pre_commit_framework() -> None:
    assert refs_from_pre_commit_framework({}) == []
    assert refs_from_pre_commit_framework({"PRE_COMMIT_TO_REF": A, "PRE_COMMIT_FROM_REF": B,
                                           "PRE_COMMIT_LOCAL_BRANCH": "refs/heads/f",
                                           "PRE_COMMIT_REMOTE_BRANCH": "refs/heads/main"}) == [
        PushedRef("refs/heads/f", A, "refs/heads/main", B)]
    # a first push: no TO_REF, the local branch is the ref; a FROM_REF that is no object id is no base
    assert refs_from_pre_commit_framework({"PRE_COMMIT_LOCAL_BRANCH": "refs/heads/f",
                                           "PRE_COMMIT_FROM_REF": "not-an-id"}) == [
        PushedRef("refs/heads/f", "refs/heads/f", "refs/heads/f", ZERO)]
    assert remote_of_pre_commit_framework({"PRE_COMMIT_REMOTE_URL": "/srv/r.git"}) == "/srv/r.git"
    assert remote_of_pre_commit_framework({"PRE_COMMIT_REMOTE_NAME": "origin",
                                           "PRE_COMMIT_REMOTE_URL": "/srv/r.git"}) == "origin"
    assert remote_of_pre_commit_framework({"PRE_COMMIT_REMOTE_NAME": ""}) is None


# ------------------------------------------------------------------------------ the remote's releases


@pytest.fixture
def published(repo: Path, tmp_path: Path) -> Path:
    """sentiment 0.1.0 (git-stored) released and pushed to `origin` with a lightweight lookalike, a
    deregistration and a stage tag."""
    released_in_git(repo)
    git(repo, "tag", "sentiment@v0.9.0")                                     # lightweight
    git(repo, "tag", "-a", "sentiment@v0.8.0!", "-m", "deregistered")
    git(repo, "tag", "-a", "sentiment#prod#1", "-m", "prod")
    bare_remote(repo, tmp_path / "origin.git")
    git(repo, "push", "-q", "--no-verify", "origin", "main", "--tags")
    return repo


def test_remote_release_tags_lists_releases_with_their_commits(published: Path) -> None:
    tags = remote_release_tags(published, "origin")
    assert set(tags) == {"sentiment@v0.1.0", "sentiment@v0.9.0", "sentiment@v0.8.0!"}  # no stage tag
    obj, commit = tags["sentiment@v0.1.0"]
    assert commit == git(published, "rev-parse", "sentiment@v0.1.0^{commit}").stdout.strip()
    assert obj == git(published, "rev-parse", "sentiment@v0.1.0").stdout.strip()  # the tag object
    assert tags["sentiment@v0.9.0"][1] is None                                     # lightweight: no peel


def test_remote_release_tags_refuses_an_option_and_reports_an_unreachable_remote(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="looks like an option"):
        remote_release_tags(repo, "--upload-pack=touch /tmp/x")
    with pytest.raises(ExternalFailure, match="cannot list the release tags"):
        remote_release_tags(repo, str(tmp_path / "no-such-remote.git"))


def test_a_release_deleted_here_is_judged_from_the_remote(published: Path) -> None:
    git(published, "tag", "-d", "sentiment@v0.1.0")
    tags = read_tags(published)
    assert tags.latest("sentiment") is None
    differ, unfetched = merge_remote_releases(published, tags, remote_release_tags(published, "origin"))
    assert differ == ["sentiment@v0.1.0"]
    assert unfetched == {}                                         # its commit is in this clone
    assert str(tags.latest("sentiment").version) == "0.1.0"        # type: ignore[union-attr]
    assert "0.8.0" in tags.deregistered["sentiment"]


def test_a_remote_release_on_a_commit_this_clone_lacks_is_unfetched(published: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(tmp_path / "origin.git"), str(other))
    commit_all(other, "elsewhere", allow_empty=True)
    git(other, "tag", "-a", "sentiment@v0.2.0", "-m", "from another clone")
    git(other, "push", "-q", "--no-verify", "origin", "sentiment@v0.2.0")
    tags = read_tags(published)
    differ, unfetched = merge_remote_releases(published, tags, remote_release_tags(published, "origin"))
    assert differ == ["sentiment@v0.2.0"]
    assert unfetched == {"sentiment": "sentiment@v0.2.0"}


def test_a_release_moved_here_is_judged_by_the_remote_commit(published: Path) -> None:
    published_commit = git(published, "rev-parse", "sentiment@v0.1.0^{commit}").stdout.strip()
    moved_to = commit_all(published, "elsewhere", allow_empty=True)
    git(published, "tag", "-f", "-a", "sentiment@v0.1.0", "-m", "moved")
    tags = read_tags(published)
    assert tags.latest("sentiment").commit == moved_to                # type: ignore[union-attr]
    differ, unfetched = merge_remote_releases(published, tags, remote_release_tags(published, "origin"))
    assert (differ, unfetched) == (["sentiment@v0.1.0"], {})
    (only,) = tags.releases["sentiment"]                               # replaced, not listed twice
    assert only.commit == published_commit
    assert only.message == "moved"                                     # the local message is kept


def test_the_same_release_on_both_sides_adds_nothing(published: Path) -> None:
    tags = read_tags(published)
    before = [r.tag for r in tags.releases["sentiment"]]
    assert merge_remote_releases(published, tags, remote_release_tags(published, "origin")) == ([], {})
    assert [r.tag for r in tags.releases["sentiment"]] == before


# ---------------------------------------------------------------------------------------- judge_push


def test_deleting_or_moving_a_published_release_is_refused_unless_allowed(published: Path) -> None:
    tag_obj = git(published, "rev-parse", "sentiment@v0.1.0").stdout.strip()
    delete = PushedRef("(delete)", ZERO, "refs/tags/sentiment@v0.1.0", tag_obj)
    move = PushedRef("refs/tags/sentiment@v0.1.0", B, "refs/tags/sentiment@v0.1.0", tag_obj)
    deleted, moved = judge_push(published, [delete]), judge_push(published, [move])
    assert not deleted.ok
    assert "deleting a release tag on the remote is refused" in deleted.problems[0]
    assert not moved.ok
    assert "moving a release tag on the remote is refused" in moved.problems[0]
    assert f"it is {tag_obj[:8]} there, {B[:8]} here" in moved.problems[0]
    assert judge_push(published, [delete], allow_tag_moves=True).problems == []


def test_deleting_a_release_tag_the_remote_never_had_is_not_judged(published: Path) -> None:
    report = judge_push(published, [PushedRef("(delete)", ZERO, "refs/tags/sentiment@v5.0.0", ZERO)])
    assert report.ok
    assert report.checked == []


def test_a_pushed_branch_is_checked_once_and_reported_by_short_sha(published: Path) -> None:
    sha = head(published)
    ref = PushedRef("refs/heads/main", sha, "refs/heads/main", ZERO)
    report = judge_push(published, [ref, PushedRef("refs/heads/main", sha, "refs/heads/other", ZERO)])
    assert report.ok, report.lines()
    assert report.checked == [sha[:12]]
    assert report.summary() == f"gitmodel: 0 problem(s) in this push ({sha[:12]} checked)"


def test_a_hand_made_release_on_an_unbumped_commit_is_a_finding(published: Path) -> None:
    commit_all(published, "no bump", allow_empty=True)
    git(published, "tag", "-a", "sentiment@v0.3.0", "-m", "hand-made, manifest still says 0.1.0")
    tag_obj = git(published, "rev-parse", "sentiment@v0.3.0").stdout.strip()
    report = judge_push(published, [PushedRef("refs/tags/sentiment@v0.3.0", tag_obj,
                                               "refs/tags/sentiment@v0.3.0", ZERO)])
    assert not report.ok
    assert report.checked == ["sentiment@v0.3.0"]
    assert any("release tag sentiment@v0.3.0 is on a commit whose manifest says version 0.1.0" in line
               for line in report.lines())
