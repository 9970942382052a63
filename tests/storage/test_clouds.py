"""Every cloud a DVC remote may live in, each a real emulator on 127.0.0.1 (tests/kit/clouds.py): push, get,
`resolve(..., repo=URL)` from a host without a clone, and an object corrupted in the bucket refused by each
path with nothing placed. The team commits the endpoint; credentials stay in the user's environment."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import gitmodel
from gitmodel.infra.errors import Refused
from gitmodel.storage.export import get
from gitmodel.storage.transfer import push
from tests.kit.clouds import CLOUDS, Cloud
from tests.kit.dvc import WEIGHTS_V2, drop_local_copies, make_model_repo, second_version
from tests.kit.git import git
from tests.kit.gitserver import serve_bare
from tests.kit.manifests import entry


@pytest.fixture(params=sorted(CLOUDS))
def cloud(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Cloud]:
    with CLOUDS[request.param](monkeypatch, tmp_path) as found:
        for key, value in found.env.items():
            monkeypatch.setenv(key, value)
        yield found


def commit_remote_settings(root: Path, cloud: Cloud) -> None:
    """What the docs tell a team to run: the shared settings (endpoints) in .dvc/config, committed."""
    argvs = [["remote", "modify", "storage", key, value] for key, value in cloud.committed.items()]
    script = "import sys, json\nfrom dvc.cli import main\nfor argv in json.loads(sys.argv[1]):\n" \
             "    assert main(argv) == 0, argv\n"
    import json

    subprocess.run([sys.executable, "-c", script, json.dumps(argvs)], cwd=root, check=True, capture_output=True,
                   timeout=120)
    git(root, "add", ".dvc/config")
    git(root, "commit", "-q", "--allow-empty", "-m", f"{cloud.name} remote settings")


def test_push_get_resolve_and_corrupt_object(cloud: Cloud, repo: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_model_repo(repo, remote=cloud.url)
    commit_remote_settings(root, cloud)
    second_version(root)  # v0.2.0's commit carries the endpoint: a host without a clone reads it there
    report = push(root, all_releases=True)
    assert report.url == cloud.url
    weights = entry(root, "artifacts/model.bin")
    assert weights.md5 is not None
    assert cloud.object_key(weights.md5) in cloud.listing()
    assert hashlib.md5(cloud.read(weights.md5)).hexdigest() == weights.md5

    drop_local_copies(root)
    exported = get(root, "sentiment@v0.2.0", tmp_path / "export")
    assert exported.remote == cloud.url
    assert (tmp_path / "export" / "artifacts" / "model.bin").read_bytes() == WEIGHTS_V2

    bare = serve_bare(root, tmp_path / "served")
    serving = tmp_path / "serving"
    serving.mkdir()
    monkeypatch.chdir(serving)
    resolved = gitmodel.resolve("sentiment@v0.2.0", repo=str(bare))
    assert resolved.weights[0].read_bytes() == WEIGHTS_V2
    assert list(serving.iterdir()) == []

    # someone with write access to the bucket flips one byte of the weights
    data = bytearray(cloud.read(weights.md5))
    data[100] ^= 0x01
    cloud.write(weights.md5, bytes(data))
    drop_local_copies(root)
    with pytest.raises(Refused, match="artifacts/model.bin"):
        get(root, "sentiment@v0.2.0", tmp_path / "export2")
    assert not (tmp_path / "export2").exists()
    monkeypatch.setenv("GITMODEL_CACHE_DIR", str(tmp_path / "fresh-cache"))
    with pytest.raises(Refused, match="artifacts/model.bin"):
        gitmodel.resolve("sentiment@v0.2.0", repo=str(bare))
    resolved_dir = tmp_path / "fresh-cache" / "resolved"
    assert [p for p in os.listdir(resolved_dir) if not p.startswith(".")] == []
    assert list(serving.iterdir()) == []
