"""gitmodel/repo/batch.py: within `git.batch_session`, every object read is answered by one
`git cat-file --batch-command`, exactly as the one-shot calls answer it — blobs larger than a pipe, more
commands than one slice, trees, missing objects — and a session whose git died falls back to one-shot calls
(real git)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from gitmodel.repo import git as gitcmd
from tests.kit.files import write
from tests.kit.git import git


@pytest.fixture
def objects(repo: Path) -> tuple[Path, list[str]]:
    write(repo, "big.bin", os.urandom(300_000))  # larger than a pipe's buffer
    for i in range(400):
        write(repo, f"many/file-{i:03d}-{'x' * 40}.txt", f"{i}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "objects")
    specs = ["HEAD:big.bin", "HEAD:many", "HEAD:", "HEAD:missing.txt", "HEAD:README.md",
             *[f"HEAD:many/file-{i:03d}-{'x' * 40}.txt" for i in range(400)]]  # > one 16 KiB slice of commands
    return repo, specs


def test_a_session_answers_as_one_shot_calls_do(objects: tuple[Path, list[str]]) -> None:
    repo, specs = objects
    plain = gitcmd.cat_files(repo, specs), gitcmd.cat_files(repo, specs, kinds=("tree",)), gitcmd.object_info(repo, specs)
    with gitcmd.batch_session(repo):
        first = gitcmd.cat_files(repo, specs)
        batch = gitcmd._sessions[os.fspath(repo)]
        assert batch is not None
        assert batch.alive
        again = gitcmd.cat_files(repo, specs), gitcmd.cat_files(repo, specs, kinds=("tree",)), gitcmd.object_info(repo, specs)
        assert gitcmd._sessions[os.fspath(repo)] is batch  # one process for every round
    assert first == plain[0]
    assert again == plain
    assert plain[0]["HEAD:big.bin"] == (repo / "big.bin").read_bytes()
    assert plain[0]["HEAD:missing.txt"] is None
    assert plain[2]["HEAD:missing.txt"] is None
    assert plain[1]["HEAD:many"] is not None
    assert plain[2]["HEAD:many"][1] == "tree"
    with pytest.raises(ProcessLookupError):
        os.kill(batch.pid, 0)  # ended (and reaped) with the block
    assert os.fspath(repo) not in gitcmd._sessions


def test_a_session_whose_git_died_falls_back_to_one_shot_calls(objects: tuple[Path, list[str]]) -> None:
    repo, specs = objects
    plain = gitcmd.cat_files(repo, specs)
    with gitcmd.batch_session(repo):
        assert gitcmd.object_info(repo, ["HEAD:"])["HEAD:"] is not None
        batch = gitcmd._sessions[os.fspath(repo)]
        assert batch is not None
        os.kill(batch.pid, signal.SIGKILL)
        assert gitcmd.cat_files(repo, specs) == plain
        assert not batch.alive
        assert gitcmd._sessions.get(os.fspath(repo)) is None or gitcmd._sessions[os.fspath(repo)] is not batch


def test_outside_a_session_nothing_stays_running(objects: tuple[Path, list[str]]) -> None:
    repo, specs = objects
    gitcmd.cat_files(repo, specs[:3])
    assert os.fspath(repo) not in gitcmd._sessions


def test_answers_asked_for_ahead_are_the_answers_asked_for_later(objects: tuple[Path, list[str]]) -> None:
    """`git.prefetch` (the commit hook names the trees its check will read before importing it): whatever is
    asked next — the same specs, some of them, others, another command — gets what one-shot calls give,
    a 300 KB blob larger than a pipe included, and the answers read ahead are the ones served."""
    repo, specs = objects
    ahead = ["HEAD:", "HEAD:many", "HEAD:big.bin", "HEAD:missing.txt"]
    plain = gitcmd.cat_files(repo, specs, kinds=("blob", "tree")), gitcmd.object_info(repo, specs)
    gitcmd.prefetch(repo, "contents", ahead)  # no session: nothing is started
    assert os.fspath(repo) not in gitcmd._sessions
    with gitcmd.batch_session(repo):
        gitcmd.prefetch(repo, "contents", ahead)
        batch = gitcmd._sessions[os.fspath(repo)]
        assert batch is not None
        assert batch._sent is not None  # written, not yet read
        assert gitcmd.object_info(repo, specs) == plain[1]  # another command first: the answers are read ahead
        assert batch._sent is None
        assert set(batch._ready) == {("contents", spec) for spec in ahead}
        assert gitcmd.cat_files(repo, specs, kinds=("blob", "tree")) == plain[0]
        assert gitcmd.cat_files(repo, ["HEAD:many"], kinds=("tree",)) == {"HEAD:many": plain[0]["HEAD:many"]}
        gitcmd.prefetch(repo, "contents", [f"HEAD:{'x' * 100}{i}" for i in range(200)])  # over a slice: not sent
        assert batch._sent is None
        assert batch.alive


def test_a_call_started_early_is_read_once_and_never_outlives_its_session(repo: Path) -> None:
    """`git.start_early` (the hook's `for-each-ref`, started before its check is imported): the first `run` of the
    same call in the session reads it, as git answered when it started; one never asked for is reaped when the
    session ends, so no later run in the process reads its stale answer."""
    from gitmodel.repo import tags

    git(repo, "tag", "-a", "-m", "first", "sentiment@v0.1.0")
    with gitcmd.batch_session(repo):
        tags.start_reading(repo)
        assert len(gitcmd._early) == 1
        git(repo, "tag", "-a", "-m", "second", "sentiment@v0.2.0")  # after git was asked
        early = tags.read_tags(repo)
        assert not gitcmd._early  # read once ...
        assert [str(r.version) for r in early.releases["sentiment"]] == ["0.1.0"]
        assert [str(r.version) for r in tags.read_tags(repo).releases["sentiment"]] == ["0.1.0", "0.2.0"]  # ... then asked again
        tags.start_reading(repo)
    assert not gitcmd._early  # never asked for: reaped with the session
    git(repo, "tag", "-a", "-m", "third", "sentiment@v0.3.0")
    assert [str(r.version) for r in tags.read_tags(repo).releases["sentiment"]] == ["0.1.0", "0.2.0", "0.3.0"]
    tags.start_reading(repo)  # outside a session: nothing is started
    assert not gitcmd._early


def test_in_a_session_a_small_blob_is_hashed_and_a_large_one_goes_through_the_blob_cache(repo: Path) -> None:
    """The hook's sha256 of a staged git-stored file: a blob of at most SMALL_BLOB bytes is read through the
    session and hashed (cheaper than searching the blob cache, which it then neither loads nor grows); a larger
    one is looked up there and recorded. Both answers are the sha256 of git's bytes."""
    import hashlib

    from gitmodel.infra.hashing import HashCache
    from gitmodel.repo.sources import SMALL_BLOB, Index

    small, large = b"You are terse.\n", os.urandom(SMALL_BLOB + 1)
    write(repo, "prompts/small.txt", small)
    write(repo, "params/large.bin", large)
    git(repo, "add", "-A")
    git_dir = repo / ".git"
    cache = HashCache(git_dir, repo)
    with gitcmd.batch_session(repo):
        source = Index(repo, cache)
        assert source.sha256("prompts/small.txt") == hashlib.sha256(small).hexdigest()
        assert cache._blob_text is None  # the blob cache was not even read
        assert source.sha256("params/large.bin") == hashlib.sha256(large).hexdigest()
    cache.save()
    kept = (git_dir / "gitmodel" / "blobcache").read_bytes()
    assert hashlib.sha256(large).hexdigest().encode() in kept
    assert hashlib.sha256(small).hexdigest().encode() not in kept
