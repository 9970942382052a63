"""`gitmodel check --base REV --verify-objects`: CI downloads the objects a change pins from the real
remote (into a temp dir) and checks their bytes, so an md5-only swap or a release whose objects never
reached the remote is caught even when every hook was skipped. Real git, real DVC, a real local remote."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from gitmodel.workspace.edit import bump_model
from tests.kit.cli import gm
from tests.kit.dvc import flip_byte, pushed_model_repo
from tests.kit.env import REPO_ROOT
from tests.kit.files import tree
from tests.kit.git import git
from tests.kit.manifests import entry, set_entry

WEIGHTS = "artifacts/model.bin"


@pytest.fixture
def released(repo: Path) -> Path:
    return pushed_model_repo(repo)


def test_md5_only_swap_is_caught_by_the_remote_bytes(released: Path) -> None:
    root = released
    (root / WEIGHTS).write_bytes(b"\x00retrained weights, never released")
    import subprocess

    subprocess.run([sys.executable, "-m", "dvc", "add", WEIGHTS], cwd=root, check=True, capture_output=True)
    new_md5 = [line for line in (root / f"{WEIGHTS}.dvc").read_text().splitlines() if "md5:" in line][0].split()[-1]
    old = entry(root, WEIGHTS)
    set_entry(root, WEIGHTS, md5=new_md5)  # sha256 and version kept: the manifest still claims old bytes
    git(root, "commit", "-q", "--no-verify", "-am", "just a typo fix")
    assert gm(root, "push").returncode == 0  # the new object is in the remote: only its bytes tell
    result = gm(root, "check", "--base", "sentiment@v0.1.0", "--verify-objects")
    assert result.returncode == 1, result.stderr
    assert f"the bytes under md5 {new_md5} hash to sha256" in result.stderr
    assert f"records {old.sha256}" in result.stderr
    assert "`gitmodel bump NAME`" in result.stderr


def test_a_change_whose_objects_never_reached_the_remote_is_caught(released: Path) -> None:
    root = released
    (root / WEIGHTS).write_bytes(b"\x00v2 weights, pushed to git but not to the remote")
    bump_model(root, "sentiment")
    git(root, "commit", "-q", "-m", "0.2.0")
    result = gm(root, "check", "--base", "sentiment@v0.1.0", "--verify-objects")
    assert result.returncode == 1, result.stderr
    assert "is missing from the remote" in result.stderr
    assert gm(root, "push").returncode == 0  # the hint, followed
    assert gm(root, "check", "--base", "sentiment@v0.1.0", "--verify-objects").returncode == 0


def test_an_honest_change_passes_and_leaves_cache_and_tree_alone(released: Path) -> None:
    root = released
    (root / WEIGHTS).write_bytes(b"\x00v2 weights")
    (root / "data" / "train" / "c.csv").write_text("text,label\nmeh,neu\n")
    bump_model(root, "sentiment")
    git(root, "commit", "-q", "-m", "0.2.0")
    assert gm(root, "push").returncode == 0
    cache, status = tree(root / ".dvc" / "cache"), git(root, "status", "--porcelain", "--ignored").stdout
    result = gm(root, "check", "--base", "sentiment@v0.1.0", "--verify-objects", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert sorted(o["path"] for o in report["objects"]["objects"]) == ["artifacts/model.bin", "data/train"]
    assert tree(root / ".dvc" / "cache") == cache
    assert git(root, "status", "--porcelain", "--ignored").stdout == status


def test_verify_objects_without_base_is_exit_2(released: Path) -> None:
    result = gm(released, "check", "--verify-objects")
    assert result.returncode == 2
    assert "--base" in result.stderr


@pytest.mark.parametrize("template", ["github-workflow.yml", "gitlab-ci.yml"])
def test_ci_templates_verify_objects(template: str) -> None:
    text = (REPO_ROOT / "templates" / template).read_text()
    lines = [line for line in text.splitlines() if "gitmodel check --base" in line and not line.lstrip().startswith("#")]
    assert lines
    assert all("--verify-objects" in line for line in lines)


def test_a_damaged_remote_object_is_named_as_such(released: Path) -> None:

    root = released
    (root / WEIGHTS).write_bytes(b"\x00v2 weights" * 50)
    bump_model(root, "sentiment")
    git(root, "commit", "-q", "-m", "0.2.0")
    assert gm(root, "push").returncode == 0
    md5 = entry(root, WEIGHTS).md5
    assert md5 is not None
    flip_byte(md5, 10)
    result = gm(root, "check", "--base", "sentiment@v0.1.0", "--verify-objects")
    assert result.returncode == 1, result.stderr
    assert f"the remote's object {md5} is damaged" in result.stderr


# ----------------------------------------------------------------------------------------------- LFS


def test_lfs_objects_are_fetched_into_a_temp_store_and_a_missing_one_is_caught(repo: Path, tmp_path: Path) -> None:
    """Real git-lfs, a `file://` LFS remote, a CI-like clone that never smudged the weights."""
    import hashlib
    import os
    import shutil
    import subprocess

    from gitmodel.workspace.edit import add_model
    from gitmodel.workspace.init_repo import init_repo

    if shutil.which("git-lfs") is None:
        pytest.fail("git-lfs is not installed: `apt-get install git-lfs` (or `sh scripts/ensure-git-lfs.sh` as root)")
    subprocess.run(["git", "lfs", "install", "--skip-repo"], check=True, capture_output=True)
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    init_repo(repo, hooks=False)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "gitmodel init")
    base = git(repo, "rev-parse", "HEAD").stdout.strip()
    git(repo, "lfs", "track", "*.bin")
    weights = b"\x00lfs weights\x00" * 300
    oid = hashlib.sha256(weights).hexdigest()
    (repo / "w.bin").write_bytes(weights)
    add_model(repo, "ranker", weights=["w.bin"])
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "ranker 0.1.0")
    git(repo, "remote", "add", "origin", remote.as_uri())
    git(repo, "lfs", "push", "--all", "origin")
    git(repo, "push", "-q", "origin", "main")
    ci = tmp_path / "ci"
    subprocess.run(["git", "clone", "-q", remote.as_uri(), str(ci)], check=True, capture_output=True,
                   env={**os.environ, "GIT_LFS_SKIP_SMUDGE": "1"})
    ok = gm(ci, "check", "--base", base, "--verify-objects", "--json",
            env={"GIT_LFS_SKIP_SMUDGE": "1"})
    assert ok.returncode == 0, ok.stderr
    assert [o["storage"] for o in json.loads(ok.stdout)["objects"]["objects"]] == ["lfs"]
    assert not (ci / ".git" / "lfs" / "objects" / oid[:2] / oid[2:4] / oid).exists()  # not the user's store
    (remote / "lfs" / "objects" / oid[:2] / oid[2:4] / oid).unlink()
    missing = gm(ci, "check", "--base", base, "--verify-objects", env={"GIT_LFS_SKIP_SMUDGE": "1"})
    assert missing.returncode == 1, missing.stderr
    assert "w.bin" in missing.stderr
    assert "git lfs push" in missing.stderr
