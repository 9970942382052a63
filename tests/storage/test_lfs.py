"""Git LFS-stored weights: pinned by the pointer's oid, judged from the staged pointer, fetched verified.

Real git-lfs (Debian's `git-lfs`; `scripts/ensure-git-lfs.sh` installs it in `make test` as root), real
repositories, a clean clone over file:// whose LFS objects come from the origin's local LFS store.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from gitmodel.gate.check import run_check
from gitmodel.infra.errors import ExternalFailure, InvalidInput, Refused
from gitmodel.model.manifest import load
from gitmodel.storage import lfs
from gitmodel.workspace.edit import add_model, bump_model
from gitmodel.workspace.init_repo import init_repo
from tests.kit.cli import gm
from tests.kit.git import git, release

pytestmark = pytest.mark.skipif(
    shutil.which("git-lfs") is None,
    reason="git-lfs is not installed and could not be installed here (run scripts/ensure-git-lfs.sh as root)")

WEIGHTS = b"\x00weights v1\x00" * 300


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def lfs_repo(repo: Path) -> Path:
    """A gitmodel repo (no DVC) where `*.bin` goes to Git LFS, as a team already using LFS has it."""
    git(repo, "lfs", "install", "--local")
    git(repo, "lfs", "track", "*.bin")
    init_repo(repo, hooks=False, dvc=False)
    (repo / "weights").mkdir()
    (repo / "weights/model.bin").write_bytes(WEIGHTS)
    git(repo, "add", ".gitattributes", ".gitmodel.yaml")
    git(repo, "commit", "-q", "-m", "track weights in LFS")
    return repo


def test_gitattributes_routes_weights_to_lfs_and_the_pointer_oid_is_the_sha256(lfs_repo: Path) -> None:
    result = add_model(lfs_repo, "ranker", weights=["weights/model.bin"])
    entry = result.manifest.weights[0]
    assert entry.storage == "lfs"
    assert entry.sha256 == _sha(WEIGHTS)
    assert entry.size == len(WEIGHTS)
    staged = git(lfs_repo, "cat-file", "-p", ":weights/model.bin").stdout
    assert staged.startswith("version https://git-lfs.github.com/spec/v1")
    assert f"oid sha256:{_sha(WEIGHTS)}" in staged
    assert "weights/model.bin" in result.staged


def test_add_lfs_tracks_a_file_gitattributes_does_not_route(lfs_repo: Path) -> None:
    (lfs_repo / "weights/model.safetensors").write_bytes(b"not routed by *.bin")
    proc = gm(lfs_repo, "add", "ranker", "--weights", "weights/model.safetensors",
              "--lfs", "weights/model.safetensors")
    assert proc.returncode == 0, proc.stderr
    assert "lfs" in proc.stdout
    assert "weights/model.safetensors" in (lfs_repo / ".gitattributes").read_text()
    assert git(lfs_repo, "check-attr", "filter", "--", "weights/model.safetensors").stdout.strip().endswith("lfs")
    assert ".gitattributes" in git(lfs_repo, "diff", "--cached", "--name-only").stdout
    assert "oid sha256:" in git(lfs_repo, "cat-file", "-p", ":weights/model.safetensors").stdout


def test_add_lfs_configures_the_filter_when_lfs_was_never_installed_here(repo: Path) -> None:
    init_repo(repo, hooks=False, dvc=False)
    assert not lfs.filter_configured(repo)
    (repo / "model.onnx").write_bytes(b"\x08\x08\x12\x07pytorch")
    result = add_model(repo, "m", weights=["model.onnx"], force_lfs=["model.onnx"])
    assert lfs.filter_configured(repo)
    assert any("git lfs install --local" in n for n in result.notes)
    assert result.manifest.weights[0].format == "onnx"
    assert "oid sha256:" in git(repo, "cat-file", "-p", ":model.onnx").stdout


def test_judged_scenario_changed_pointer_without_bump_is_refused_from_the_index(lfs_repo: Path) -> None:
    add_model(lfs_repo, "ranker", weights=["weights/model.bin"])
    git(lfs_repo, "commit", "-q", "-m", "ranker 0.1.0")
    release(lfs_repo, "ranker")
    assert run_check(lfs_repo, mode="index").ok

    new = b"\x00weights v2\x00" * 300
    (lfs_repo / "weights/model.bin").write_bytes(new)
    git(lfs_repo, "add", "weights/model.bin")
    # The weights are never read: the staged pointer is all the check needs.
    (lfs_repo / "weights/model.bin").unlink()
    result = run_check(lfs_repo, mode="index")
    assert not result.ok
    [finding] = result.findings
    assert (finding.rule, finding.path) == ("fresh", "weights/model.bin")
    assert (finding.old, finding.new) == (_sha(WEIGHTS), _sha(new))
    assert finding.fix == "gitmodel bump ranker"

    proc = gm(lfs_repo, "check", "--staged")
    assert proc.returncode == 1
    assert "ranker: weights/model.bin: weights changed" in proc.stderr
    assert "run `gitmodel bump ranker`" in proc.stderr


def test_bump_pins_the_new_pointer_and_check_passes(lfs_repo: Path) -> None:
    add_model(lfs_repo, "ranker", weights=["weights/model.bin"])
    git(lfs_repo, "commit", "-q", "-m", "ranker 0.1.0")
    release(lfs_repo, "ranker")
    new = b"retrained" * 500
    (lfs_repo / "weights/model.bin").write_bytes(new)
    result = bump_model(lfs_repo, "ranker")
    assert (result.old_version, result.new_version) == ("0.1.0", "0.2.0")
    assert load(lfs_repo / "models/ranker.yaml").weights[0].sha256 == _sha(new)
    assert f"oid sha256:{_sha(new)}" in git(lfs_repo, "cat-file", "-p", ":weights/model.bin").stdout
    assert run_check(lfs_repo, mode="index").ok
    assert run_check(lfs_repo).ok


def test_a_staged_plain_blob_is_refused_where_lfs_was_expected(lfs_repo: Path) -> None:
    add_model(lfs_repo, "ranker", weights=["weights/model.bin"])
    git(lfs_repo, "commit", "-q", "-m", "ranker 0.1.0")
    # someone drops the attribute: git now stores the bytes themselves
    (lfs_repo / ".gitattributes").write_text("")
    (lfs_repo / "weights/model.bin").write_bytes(b"plain")
    with pytest.raises(ExternalFailure, match="plain git blob"):
        bump_model(lfs_repo, "ranker")


def _clean_clone(src: Path, dest: Path) -> Path:
    """A fresh clone that did not download LFS content (as CI with GIT_LFS_SKIP_SMUDGE=1 does)."""
    env = {**os.environ, "GIT_LFS_SKIP_SMUDGE": "1"}
    import subprocess

    subprocess.run(["git", "clone", "-q", src.as_uri(), str(dest)], check=True, env=env, capture_output=True)
    git(dest, "lfs", "install", "--local")
    return dest


def test_a_clean_clone_checks_from_pointers_and_fetch_verifies_the_bytes(lfs_repo: Path, tmp_path: Path) -> None:
    add_model(lfs_repo, "ranker", weights=["weights/model.bin"])
    git(lfs_repo, "commit", "-q", "-m", "ranker 0.1.0")
    tag = release(lfs_repo, "ranker")
    clone = _clean_clone(lfs_repo, tmp_path / "clone")
    assert (clone / "weights/model.bin").read_bytes().startswith(b"version https://git-lfs")
    assert not list((clone / ".git/lfs/objects").rglob("*"))
    # the un-smudged pointer in the work tree stands for the content, as a not-pulled DVC file does
    assert run_check(clone).ok

    out = tmp_path / "export/model.bin"
    lfs.fetch_lfs_file(clone, tag, "weights/model.bin", out, expected_sha256=_sha(WEIGHTS))
    assert out.read_bytes() == WEIGHTS
    assert lfs.pointer_at(clone, tag, "weights/model.bin") == (_sha(WEIGHTS), len(WEIGHTS))

    # many files at once: a batched `git lfs fetch`, then verified copies
    lfs.fetch_lfs_files(clone, tag, [("weights/model.bin", tmp_path / "batch/model.bin", _sha(WEIGHTS))])
    assert (tmp_path / "batch/model.bin").read_bytes() == WEIGHTS
    oid = _sha(WEIGHTS)
    assert (clone / ".git/lfs/objects" / oid[:2] / oid[2:4] / oid).is_file()

    # a manifest that disagrees with the committed pointer: refused before any byte is written
    with pytest.raises(Refused, match="manifest pins"):
        lfs.fetch_lfs_file(clone, tag, "weights/model.bin", tmp_path / "x.bin", expected_sha256="0" * 64)
    assert not (tmp_path / "x.bin").exists()


def test_fetch_refuses_corrupt_bytes_and_leaves_nothing(lfs_repo: Path, tmp_path: Path) -> None:
    add_model(lfs_repo, "ranker", weights=["weights/model.bin"])
    git(lfs_repo, "commit", "-q", "-m", "ranker 0.1.0")
    oid = _sha(WEIGHTS)
    stored = lfs_repo / ".git/lfs/objects" / oid[:2] / oid[2:4] / oid
    stored.chmod(0o644)
    stored.write_bytes(b"\x00weights vX\x00" * 300)  # same size, different bytes
    dest = tmp_path / "out/model.bin"
    with pytest.raises(Refused, match="hash to sha256:") as info:
        lfs.fetch_lfs_file(lfs_repo, "HEAD", "weights/model.bin", dest)
    assert "git lfs fsck" in info.value.line()
    assert not dest.exists()
    assert list(dest.parent.iterdir()) == []  # no temp file left behind


def test_fetch_of_a_git_stored_file_verifies_it_too(lfs_repo: Path, tmp_path: Path) -> None:
    (lfs_repo / "prompt.txt").write_text("hello\n")
    git(lfs_repo, "add", "prompt.txt")
    git(lfs_repo, "commit", "-q", "-m", "prompt")
    lfs.fetch_lfs_file(lfs_repo, "HEAD", "prompt.txt", tmp_path / "p.txt", expected_sha256=_sha(b"hello\n"))
    assert (tmp_path / "p.txt").read_text() == "hello\n"


def test_mixed_repo_one_model_on_dvc_one_on_lfs(lfs_repo: Path) -> None:
    init_repo(lfs_repo, hooks=False, dvc=True)
    (lfs_repo / "data").mkdir()
    (lfs_repo / "data/big.npy").write_bytes(b"\x93NUMPY" + b"\x01" * 2000)
    add_model(lfs_repo, "ranker", weights=["weights/model.bin"])
    add_model(lfs_repo, "tagger", weights=["data/big.npy"], force_dvc=["data/big.npy"])
    git(lfs_repo, "commit", "-q", "-m", "two models")
    storages = {m: load(lfs_repo / f"models/{m}.yaml").weights[0].storage for m in ("ranker", "tagger")}
    assert storages == {"ranker": "lfs", "tagger": "dvc"}
    assert run_check(lfs_repo).ok
    assert run_check(lfs_repo, mode="index").ok
    release(lfs_repo, "ranker")
    release(lfs_repo, "tagger")

    (lfs_repo / "weights/model.bin").write_bytes(b"changed")
    git(lfs_repo, "add", "weights/model.bin")
    result = run_check(lfs_repo, mode="index")
    assert [(f.model, f.path) for f in result.findings] == [("ranker", "weights/model.bin")]


def test_without_git_lfs_add_lfs_says_how_to_install(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                      ) -> None:
    init_repo(repo, hooks=False, dvc=False)
    bare = tmp_path / "bin"
    bare.mkdir()
    (bare / "git").symlink_to(shutil.which("git") or "/usr/bin/git")
    monkeypatch.setenv("PATH", str(bare))
    (repo / "w.bin").write_bytes(b"w")
    assert not lfs.available(repo)
    with pytest.raises(ExternalFailure, match="git-lfs is not installed") as info:
        add_model(repo, "m", weights=["w.bin"], force_lfs=["w.bin"])
    assert "apt-get install git-lfs" in info.value.line()
    assert not (repo / "models/m.yaml").exists()


def test_the_pre_commit_hook_refuses_a_changed_pointer_without_a_bump(lfs_repo: Path) -> None:
    pytest.importorskip("gitmodel.gate.install", reason="the hooks are built on branch `hooks`; not merged here yet")
    add_model(lfs_repo, "ranker", weights=["weights/model.bin"])
    git(lfs_repo, "commit", "-q", "-m", "ranker 0.1.0")
    release(lfs_repo, "ranker")
    installed = gm(lfs_repo, "hooks", "install")
    assert installed.returncode == 0, installed.stderr
    (lfs_repo / "weights/model.bin").write_bytes(b"retrained without a bump" * 100)
    git(lfs_repo, "add", "weights/model.bin")
    refused = git(lfs_repo, "commit", "-m", "sneaky retrain", check=False)
    assert refused.returncode != 0
    assert "gitmodel bump ranker" in refused.stderr + refused.stdout
    bump_model(lfs_repo, "ranker")
    accepted = git(lfs_repo, "commit", "-m", "ranker 0.2.0", check=False)
    assert accepted.returncode == 0, accepted.stderr


def test_a_failed_add_puts_gitattributes_back(lfs_repo: Path) -> None:
    before = (lfs_repo / ".gitattributes").read_bytes()
    (lfs_repo / "weights/extra.safetensors").write_bytes(b"x" * 10)
    (lfs_repo / "data.csv").write_text("a,b\n1,2\n")
    # the DVC step fails (no DVC in this repo) after LFS tracking was set up for the weights
    with pytest.raises(InvalidInput, match="not a DVC repository"):
        add_model(lfs_repo, "ranker", weights=["weights/extra.safetensors"], data=["data.csv"],
                  force_lfs=["weights/extra.safetensors"], force_dvc=["data.csv"])
    assert (lfs_repo / ".gitattributes").read_bytes() == before
    assert not (lfs_repo / "models/ranker.yaml").exists()


def test_an_object_no_store_or_server_has_is_an_external_failure(lfs_repo: Path, tmp_path: Path) -> None:
    add_model(lfs_repo, "ranker", weights=["weights/model.bin"])
    git(lfs_repo, "commit", "-q", "-m", "ranker 0.1.0")
    clone = _clean_clone(lfs_repo, tmp_path / "orphan")
    git(clone, "remote", "remove", "origin")
    dest = tmp_path / "out/model.bin"
    with pytest.raises(ExternalFailure, match=r"git lfs could not get HEAD:weights/model.bin: Error downloading"):
        lfs.fetch_lfs_file(clone, "HEAD", "weights/model.bin", dest)
    assert not dest.exists()


def test_get_and_checkout_stream_lfs_weights_verified(lfs_repo: Path, tmp_path: Path) -> None:
    add_model(lfs_repo, "ranker", weights=["weights/model.bin"])
    git(lfs_repo, "commit", "-q", "-m", "ranker 0.1.0")
    release(lfs_repo, "ranker")
    clone = _clean_clone(lfs_repo, tmp_path / "clone")
    out = tmp_path / "export"
    proc = gm(clone, "get", "ranker@v0.1.0", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert (out / "weights/model.bin").read_bytes() == WEIGHTS

    (lfs_repo / "weights/model.bin").write_bytes(WEIGHTS + b"v2")
    bump_model(lfs_repo, "ranker")
    git(lfs_repo, "commit", "-q", "-m", "ranker 0.2.0")
    proc = gm(lfs_repo, "checkout", "ranker@v0.1.0")
    assert proc.returncode == 0, proc.stderr
    assert (lfs_repo / "weights/model.bin").read_bytes() == WEIGHTS
    assert gm(lfs_repo, "verify", "ranker").returncode == 0
