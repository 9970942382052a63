"""gitmodel.resolve(ref, repo=URL): a release served from a git remote without a clone — over git:// (a real
`git daemon` on 127.0.0.1), file:// and a plain path to a bare repository. Real git, real DVC."""

from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path

import pytest

import gitmodel
from gitmodel.infra.errors import ExternalFailure, Refused
from gitmodel.storage.resolve_remote import RemoteWarning
from tests.kit.dvc import WEIGHTS_V1, WEIGHTS_V2
from tests.kit.git import git
from tests.kit.gitserver import GitDaemon, git_daemon  # `source` and `served` are its fixtures


def commit_of(root: Path, tag: str) -> str:
    return git(root, "rev-parse", f"{tag}^{{commit}}").stdout.strip()


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory that is no git repository, as the current directory of a serving process."""
    here = tmp_path / "serving"
    here.mkdir()
    monkeypatch.chdir(here)
    return here


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_resolve_by_stage_over_git_daemon_writes_nothing_here(served: GitDaemon, elsewhere: Path) -> None:
    prod = gitmodel.resolve("sentiment#prod", repo=served.url())
    assert prod.version == "0.1.0"
    assert prod.weights[0].read_bytes() == WEIGHTS_V1
    assert prod.prompts[0].read_text() == "You are a sentiment classifier. v1\n"
    for _, entry in prod.manifest.files():
        if prod.paths[entry.path].is_file():
            assert sha(prod.paths[entry.path]) == entry.sha256
    # one copy of the bytes: the export is linked to gitmodel's own download cache
    assert prod.weights[0].stat().st_nlink == 2
    latest = gitmodel.resolve("sentiment", repo=served.url())
    assert latest.version == "0.2.0"
    assert latest.weights[0].read_bytes() == WEIGHTS_V2
    assert list(elsewhere.iterdir()) == []
    assert elsewhere not in prod.root.parents



def test_promotion_in_the_source_is_followed(source: Path, served: GitDaemon, elsewhere: Path) -> None:
    assert gitmodel.resolve("sentiment#prod", repo=served.url()).version == "0.1.0"
    git(source, "tag", "-a", "sentiment#prod#2", "-m", "v0.2.0 to prod", commit_of(source, "sentiment@v0.2.0"))
    git(source, "push", "-q", "origin", "sentiment#prod#2")
    again = gitmodel.resolve("sentiment#prod", repo=served.url())
    assert again.version == "0.2.0"
    assert again.weights[0].read_bytes() == WEIGHTS_V2
    assert list(elsewhere.iterdir()) == []


def test_offline_ok_serves_the_last_verified_files(source: Path, tmp_path: Path, elsewhere: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    with git_daemon(tmp_path / "served") as daemon:
        url = daemon.url()
        first = gitmodel.resolve("sentiment#prod", repo=url)
    # the server is down now
    with pytest.raises(ExternalFailure, match="cannot reach the git remote") as caught:
        gitmodel.resolve("sentiment#prod", repo=url)
    assert "\n" not in caught.value.line()
    with pytest.warns(RemoteWarning, match="serving the last verified sentiment@v0.1.0"):
        kept = gitmodel.resolve("sentiment#prod", repo=url, offline_ok=True)
    assert kept.root == first.root
    assert kept.weights[0].read_bytes() == WEIGHTS_V1
    monkeypatch.setenv("GITMODEL_OFFLINE_OK", "1")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert gitmodel.resolve("sentiment#prod", repo=url).fingerprint == first.fingerprint
    assert any(issubclass(w.category, RemoteWarning) for w in seen)
    # a reference never resolved has no last verified files: still a clear external failure
    with pytest.raises(ExternalFailure, match="never resolved"):
        gitmodel.resolve("sentiment@v0.2.0", repo=url)


def test_offline_ok_refuses_files_changed_since(source: Path, tmp_path: Path, elsewhere: Path) -> None:
    with git_daemon(tmp_path / "served") as daemon:
        url = daemon.url()
        first = gitmodel.resolve("sentiment#prod", repo=url)
    first.weights[0].chmod(0o644)
    first.weights[0].write_bytes(b"tampered")
    with pytest.raises(ExternalFailure, match="gone or changed"):
        gitmodel.resolve("sentiment#prod", repo=url, offline_ok=True)


@pytest.mark.parametrize("form", ["file", "path"])
def test_file_url_and_bare_path(source: Path, tmp_path: Path, elsewhere: Path, form: str) -> None:
    bare = tmp_path / "served" / "models.git"
    url = bare.as_uri() if form == "file" else str(bare)
    found = gitmodel.resolve("sentiment#prod", repo=url)
    assert found.weights[0].read_bytes() == WEIGHTS_V1
    assert list(elsewhere.iterdir()) == []


def test_corrupt_dvc_object_refused_nothing_placed(source: Path, served: GitDaemon, elsewhere: Path,
                                                    tmp_path: Path) -> None:
    from tests.kit.manifests import entry

    md5 = entry(source, "artifacts/model.bin").md5
    assert md5
    obj = tmp_path / "dvc-remote" / "files" / "md5" / md5[:2] / md5[2:]
    obj.chmod(0o644)
    data = bytearray(obj.read_bytes())
    data[10] ^= 1
    obj.write_bytes(bytes(data))
    with pytest.raises(Refused, match="artifacts/model.bin"):
        gitmodel.resolve("sentiment@v0.2.0", repo=served.url())
    resolved = Path(os.environ["XDG_CACHE_HOME"]) / "gitmodel" / "resolved"
    assert [p.name for p in resolved.iterdir() if not p.name.startswith(".")] == []
    from tests.kit.cli import gm

    got = gm(elsewhere, "get", "sentiment@v0.2.0", "--repo", served.url(), "--out", str(tmp_path / "export"))
    assert got.returncode == 1, got.stderr
    assert "artifacts/model.bin" in got.stderr
    assert not (tmp_path / "export").exists()
    assert list(elsewhere.iterdir()) == []


def test_cache_bound_evicts_least_recent_never_in_use(source: Path, served: GitDaemon, elsewhere: Path) -> None:
    old = gitmodel.resolve("sentiment@v0.1.0", repo=served.url())
    size = sum(p.stat().st_size for p in old.root.rglob("*") if p.is_file())
    new = gitmodel.resolve("sentiment@v0.2.0", repo=served.url(), max_cache_bytes=size + 10)
    # both are in use by this process: nothing it holds is evicted
    assert old.root.exists()
    assert new.root.exists()
    from gitmodel.storage import resolve_remote

    resolve_remote._release_hold(old.root)
    os.utime(old.root, (1, 1))
    gitmodel.resolve("sentiment@v0.2.0", repo=served.url(), max_cache_bytes=size + 10)
    assert not old.root.exists()
    assert new.root.exists()
    assert new.weights[0].read_bytes() == WEIGHTS_V2


CONCURRENT = """
import json, os, sys
from gitmodel.storage import dvc_transfer
real = dvc_transfer._transfer
def logged(repo, src, dest, entries, *args, **kwargs):
    with open(os.environ["TRANSFER_LOG"], "a") as log:
        log.write("".join(e.md5 + "\\n" for e in entries))
    return real(repo, src, dest, entries, *args, **kwargs)
dvc_transfer._transfer = logged
import gitmodel
found = gitmodel.resolve("sentiment#prod", repo=sys.argv[1])
print(json.dumps({"root": str(found.root), "weights": found.weights[0].read_bytes().hex()}))
"""


def test_ten_concurrent_resolvers_download_each_object_once(served: GitDaemon, elsewhere: Path,
                                                            tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    log = tmp_path / "transfers.log"
    env = {**os.environ, "TRANSFER_LOG": str(log)}
    procs = [subprocess.Popen([sys.executable, "-c", CONCURRENT, served.url()], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) for _ in range(10)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        results.append(json.loads(out))
    assert {r["root"] for r in results} == {results[0]["root"]}
    assert {r["weights"] for r in results} == {WEIGHTS_V1.hex()}
    downloaded = log.read_text().split()
    assert downloaded, "nothing was downloaded at all"
    assert len(downloaded) == len(set(downloaded))
    base = Path(results[0]["root"]).parent
    assert [p.name for p in base.iterdir() if p.name.endswith(".tmp")] == []
    assert list(elsewhere.iterdir()) == []


def test_cache_bound_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from gitmodel.infra.errors import InvalidInput
    from gitmodel.storage.resolve_remote import max_cache_bytes

    assert max_cache_bytes(None) is None
    monkeypatch.setenv("GITMODEL_CACHE_MAX_BYTES", "1000")
    assert max_cache_bytes(None) == 1000
    assert max_cache_bytes(5) == 5
    monkeypatch.setenv("GITMODEL_CACHE_MAX_BYTES", "lots")
    with pytest.raises(InvalidInput, match="GITMODEL_CACHE_MAX_BYTES"):
        max_cache_bytes(None)


def test_verify_with_a_git_url_is_refused_before_any_fetch() -> None:
    from gitmodel.infra.errors import InvalidInput

    with pytest.raises(InvalidInput, match="verify=True"):
        gitmodel.resolve("sentiment#prod", repo="git://127.0.0.1:1/models.git", verify=True)
    assert not (Path(os.environ["XDG_CACHE_HOME"]) / "gitmodel").exists()
