"""Verify, then place: no command places a byte whose sha256 differs from the manifest, a damaged copy
is removed so a retry fetches a good one, and each hint names where the bad bytes came from — followed,
it leads to a correct state. Real git, real DVC, a real local DVC remote."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from tests.kit.cli import gm
from tests.kit.dvc import (
    WEIGHTS_V1,
    WEIGHTS_V2,
    make_model_repo,
    pushed_model_repo,
    remote_object,
    second_version,
)
from tests.kit.git import git
from tests.kit.manifests import entry, set_entry

WEIGHTS = "artifacts/model.bin"


def cache_object(root: Path, md5: str) -> Path:
    return root / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]


def flip_byte(path: Path, *, keep_stat: bool = False) -> None:
    """Damage one byte in place, as bit rot does (size kept; mtime kept too with keep_stat)."""
    info = path.stat()
    path.chmod(0o644)
    with open(path, "r+b") as fh:
        fh.seek(100)
        byte = fh.read(1)
        fh.seek(100)
        fh.write(bytes([byte[0] ^ 0x01]))
    if keep_stat:
        os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


@pytest.fixture
def pushed(repo: Path) -> Path:
    return pushed_model_repo(repo)


def test_pull_refuses_a_damaged_local_cache_object_and_a_rerun_fetches_a_good_one(pushed: Path) -> None:
    root = pushed
    md5 = entry(root, WEIGHTS).md5
    assert md5 is not None
    (root / WEIGHTS).unlink()
    flip_byte(cache_object(root, md5))
    result = gm(root, "pull")
    assert result.returncode == 1, result.stderr
    assert "local DVC cache held the damaged copy" in result.stderr
    assert "delete" not in result.stderr  # never told to delete the remote's (good) copy
    assert not (root / WEIGHTS).exists()  # nothing placed
    assert not cache_object(root, md5).exists()  # removed, so the retry fetches it again
    rerun = gm(root, "pull")  # the hint, followed
    assert rerun.returncode == 0, rerun.stderr
    assert (root / WEIGHTS).read_bytes() == WEIGHTS_V1


def test_checkout_refuses_a_damaged_local_cache_object_and_a_rerun_fetches_a_good_one(pushed: Path) -> None:
    root = pushed
    md5 = entry(root, WEIGHTS).md5
    assert md5 is not None
    second_version(root)
    flip_byte(cache_object(root, md5))
    result = gm(root, "checkout", "sentiment@v0.1.0")
    assert result.returncode == 1, result.stderr
    assert "local DVC cache held the damaged copy" in result.stderr
    assert (root / WEIGHTS).read_bytes() == WEIGHTS_V2  # nothing placed
    assert gm(root, "verify", "sentiment").returncode == 0  # nor the manifest or prompt restored
    rerun = gm(root, "checkout", "sentiment@v0.1.0")
    assert rerun.returncode == 0, rerun.stderr
    assert (root / WEIGHTS).read_bytes() == WEIGHTS_V1


def test_get_blames_the_local_cache_not_the_remote_for_a_damaged_local_object(pushed: Path, tmp_path: Path
                                                                              ) -> None:
    root = pushed
    md5 = entry(root, WEIGHTS).md5
    assert md5 is not None
    flip_byte(cache_object(root, md5))
    result = gm(root, "get", "sentiment@v0.1.0", "--out", str(tmp_path / "out"))
    assert result.returncode == 1, result.stderr
    assert "local DVC cache held the damaged copy" in result.stderr
    assert "remote" not in result.stderr.split(" — ", 1)[1].replace("from the remote", "")
    assert remote_object(md5).read_bytes() == WEIGHTS_V1  # the remote's good copy is untouched
    rerun = gm(root, "get", "sentiment@v0.1.0", "--out", str(tmp_path / "out"))
    assert rerun.returncode == 0, rerun.stderr
    assert (tmp_path / "out" / WEIGHTS).read_bytes() == WEIGHTS_V1


def test_a_damaged_remote_object_is_named_and_the_hint_followed_repairs_it(pushed: Path, tmp_path: Path) -> None:
    root = pushed
    md5 = entry(root, WEIGHTS).md5
    assert md5 is not None
    good = shutil.copytree(root, tmp_path / "good-machine", symlinks=True)
    flip_byte(remote_object(md5))
    shutil.rmtree(root / ".dvc" / "cache")
    (root / WEIGHTS).unlink()
    result = gm(root, "pull")
    assert result.returncode == 1, result.stderr
    assert f"the remote holds damaged bytes for md5 {md5}" in result.stderr
    assert not (root / WEIGHTS).exists()
    assert not cache_object(root, md5).exists()
    # the hint: on a machine where verify passes, delete the remote's object and push; then pull again
    assert gm(good, "verify", "sentiment").returncode == 0
    remote_object(md5).unlink()
    assert gm(good, "push").returncode == 0
    rerun = gm(root, "pull")
    assert rerun.returncode == 0, rerun.stderr
    assert (root / WEIGHTS).read_bytes() == WEIGHTS_V1


def test_md5_and_sha256_that_disagree_never_cost_the_good_object(pushed: Path, tmp_path: Path) -> None:
    """A manifest whose md5 names intact bytes that are not its sha256's: the object is not damaged, so it
    stays (it may be the only copy of other weights); the hint blames the manifest."""
    root = pushed
    md5 = entry(root, WEIGHTS).md5
    assert md5 is not None
    set_entry(root, WEIGHTS, sha256=hashlib.sha256(b"other weights").hexdigest())
    git(root, "commit", "-q", "-am", "0.1.1")
    text = (root / "models" / "sentiment.yaml").read_text().replace("version: 0.1.0", "version: 0.1.1")
    (root / "models" / "sentiment.yaml").write_text(text)
    git(root, "commit", "-q", "-am", "0.1.1")
    git(root, "tag", "-a", "sentiment@v0.1.1", "-m", "bad pair")
    result = gm(root, "get", "sentiment@v0.1.1", "--out", str(tmp_path / "out"))
    assert result.returncode == 1, result.stderr
    assert "md5 and sha256 name different bytes" in result.stderr
    assert cache_object(root, md5).read_bytes() == WEIGHTS_V1
    assert remote_object(md5).read_bytes() == WEIGHTS_V1


@pytest.mark.parametrize("command", [("pull", "--force"), ("checkout", "sentiment@v0.1.0", "--force")])
def test_force_repairs_a_silently_damaged_working_file(pushed: Path, command: tuple[str, ...]) -> None:
    """Bit rot that keeps size and mtime: a stat-keyed cache (ours, DVC's state db) would call it clean."""
    root = pushed
    assert gm(root, "verify").returncode == 0  # the stat cache now knows the good file
    flip_byte(root / WEIGHTS, keep_stat=True)
    result = gm(root, *command)
    assert result.returncode == 0, result.stderr
    assert (root / WEIGHTS).read_bytes() == WEIGHTS_V1


# ------------------------------------------------------------------------------ the ordinary team flow


def test_after_git_pull_gitmodel_pull_brings_the_new_release(tmp_path: Path) -> None:
    alice, bob = tmp_path / "alice", tmp_path / "bob"
    alice.mkdir()
    git(alice, "init", "-q")
    make_model_repo(alice, remote=str(tmp_path / "shared-remote"))
    assert gm(alice, "push").returncode == 0
    git(tmp_path, "clone", "-q", str(alice), str(bob))
    assert gm(bob, "pull").returncode == 0
    assert (bob / WEIGHTS).read_bytes() == WEIGHTS_V1
    second_version(alice)  # a teammate releases new weights
    assert gm(alice, "push").returncode == 0
    git(bob, "pull", "-q")
    for command in ("check", "status", "verify"):  # nothing tells Bob to release his old weights again
        said = gm(bob, command)
        assert "bump" not in said.stdout + said.stderr
        assert "`gitmodel pull sentiment`" in said.stdout + said.stderr
    result = gm(bob, "pull")
    assert result.returncode == 0, result.stderr
    assert "bump" not in result.stdout + result.stderr
    assert (bob / WEIGHTS).read_bytes() == WEIGHTS_V2
    assert gm(bob, "verify", "sentiment@v0.2.0").returncode == 0
    assert git(bob, "status", "--porcelain").stdout == ""
    assert gm(bob, "check").returncode == 0


def test_pull_keeps_real_work_and_each_hint_leads_somewhere_correct(pushed: Path) -> None:
    root = pushed
    (root / WEIGHTS).write_bytes(b"\x00retrained, never recorded")
    refused = gm(root, "pull")
    assert refused.returncode == 1, refused.stderr
    assert "`gitmodel bump`" in refused.stderr
    assert "`gitmodel pull --force`" in refused.stderr
    assert (root / WEIGHTS).read_bytes() == b"\x00retrained, never recorded"
    forced = gm(root, "pull", "--force")  # one hint: discard
    assert forced.returncode == 0, forced.stderr
    assert (root / WEIGHTS).read_bytes() == WEIGHTS_V1
    (root / WEIGHTS).write_bytes(b"\x00retrained again")
    assert gm(root, "bump", "sentiment").returncode == 0  # the other: record
    assert gm(root, "check").returncode == 0
    assert gm(root, "pull").returncode == 0
