"""Repos with DVC-stored models and a real local DVC remote, and what a contributor with write access to
that remote can put in it."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from gitmodel.storage import dvc as storage
from gitmodel.workspace.edit import add_model, bump_model
from gitmodel.workspace.init_repo import init_repo
from tests.kit.cli import gm
from tests.kit.files import write
from tests.kit.git import commit, git, release
from tests.kit.manifests import set_entry, set_version

WEIGHTS_V1 = os.urandom(3000) + b"\x00weights-v1"
WEIGHTS_V2 = os.urandom(3000) + b"\x00weights-v2"


def make_model_repo(root: Path, *, remote: str | None = None) -> Path:
    """`gitmodel init`, a model with DVC weights, a DVC data dir, a git prompt and params; committed and
    released as sentiment@v0.1.0 with a plain annotated tag. Returns root."""
    init_repo(root, remote=remote, hooks=False)
    write(root, "artifacts/model.bin", WEIGHTS_V1)
    write(root, "data/train/a.csv", "text,label\nhi,pos\n")
    write(root, "data/train/b.csv", "text,label\nbad,neg\n")
    write(root, "prompts/system.txt", "You are a sentiment classifier. v1\n")
    (root / "params.yaml").write_text("lr: 0.001\n")
    add_model(root, "sentiment", weights=["artifacts/model.bin"], data=["data/train"],
              prompts=["prompts/system.txt"], params_file="params.yaml")
    git(root, "commit", "-q", "-m", "sentiment 0.1.0")
    release(root, "sentiment", "0.1.0")
    return root


def second_version(root: Path) -> None:
    """New weights and prompt, bumped to 0.2.0, committed and tagged."""
    (root / "artifacts" / "model.bin").write_bytes(WEIGHTS_V2)
    (root / "prompts" / "system.txt").write_text("You are a sentiment classifier. v2\n")
    result = bump_model(root, "sentiment")
    assert result.new_version == "0.2.0"
    git(root, "commit", "-q", "-am", "sentiment 0.2.0")
    release(root, "sentiment", "0.2.0")


def pushed_model_repo(root: Path) -> Path:
    """make_model_repo (sentiment released as 0.1.0 in a real DVC repo), its objects pushed to the remote."""
    make_model_repo(root)
    pushed = gm(root, "push")
    assert pushed.returncode == 0, pushed.stderr
    return root


def dvc_released(repo: Path, dvc_remote: Path) -> Path:
    """`gitmodel init` with hooks, DVC and a local DVC remote, committed; `sentiment`'s weights in DVC,
    committed through the hooks and released as v0.1.0."""
    init_repo(repo, remote=str(dvc_remote))
    git(repo, "add", "-A")
    assert commit(repo, "init").returncode == 0
    write(repo, "artifacts/model.bin", b"\x00weights v1\x01" * 64)
    add_model(repo, "sentiment", weights=["artifacts/model.bin"], force_dvc=["artifacts/model.bin"])
    done = commit(repo, "add sentiment")
    assert done.returncode == 0, done.stderr
    release(repo, "sentiment", "0.1.0")
    return repo


def drop_local_copies(root: Path) -> None:
    """Delete the DVC cache and the checked-out weights and data: a fresh clone's state."""
    shutil.rmtree(root / ".dvc" / "cache", ignore_errors=True)
    (root / "artifacts" / "model.bin").unlink(missing_ok=True)
    shutil.rmtree(root / "data" / "train", ignore_errors=True)


def remote_dir() -> Path:
    return storage.default_remote_dir()


def remote_object(md5: str) -> Path:
    """Where DVC keeps the object `md5` in the default remote."""
    return remote_dir() / "files" / "md5" / md5[:2] / md5[2:]


def put_object(data: bytes, *, suffix: str = "") -> str:
    """Write `data` into the default DVC remote as DVC would (named by md5); returns the md5."""
    md5 = hashlib.md5(data).hexdigest() + suffix
    obj = remote_object(md5)
    obj.parent.mkdir(parents=True, exist_ok=True)
    obj.write_bytes(data)
    return md5


def flip_byte(md5: str, offset: int) -> Path:
    """Damage the remote's copy of object `md5` in place (one bit at `offset`, same size); returns its path."""
    obj = remote_object(md5)
    obj.chmod(0o644)
    data = bytearray(obj.read_bytes())
    data[offset] ^= 0x01
    obj.write_bytes(bytes(data))
    return obj


def hostile_dir_release(root: Path, relpath: str, payload: bytes = b"import os  # runs at start-up\n") -> None:
    """Pin `data/train` to a `.dir` listing in the remote whose one file has `relpath` (absolute or with
    `..`), commit it as version 0.2.0 and tag it, and drop every local copy so commands must fetch it."""
    from gitmodel.storage.transfer import push

    push(root)
    child = put_object(payload)
    listing = json.dumps([{"md5": child, "relpath": relpath}], sort_keys=True).encode()
    dir_md5 = put_object(listing, suffix=".dir")
    set_entry(root, "data/train", md5=dir_md5, sha256="0" * 64, nfiles=1)
    set_version(root, "sentiment", "0.2.0")
    git(root, "commit", "-q", "-am", "sentiment 0.2.0")
    release(root, "sentiment", "0.2.0")
    shutil.rmtree(root / ".dvc" / "cache", ignore_errors=True)
