"""Shared set-ups for the storage attack tests: a released model in a real DVC repo whose objects are in
a real local DVC remote, and the hostile things a contributor with write access to that remote can do."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from gitmodel import manifest as mf
from gitmodel.records import replace
from tests.conftest import git
from tests.test_storage import make_model_repo, remote_object

__all__ = ["make_model_repo", "remote_object", "put_object", "hostile_dir_release", "set_entry", "entry"]


def put_object(data: bytes, *, suffix: str = "") -> str:
    """Write `data` into the default DVC remote as DVC would (named by md5); returns the md5."""
    md5 = hashlib.md5(data).hexdigest() + suffix
    obj = remote_object(md5)
    obj.parent.mkdir(parents=True, exist_ok=True)
    obj.write_bytes(data)
    return md5


def entry(root: Path, path: str) -> mf.FileEntry:
    m = mf.load(root / "models" / "sentiment.yaml")
    return next(e for _, e in m.files() if e.path == path)


def set_entry(root: Path, path: str, **changes: object) -> None:
    """Rewrite one manifest entry (and its DVC pointer's md5) by hand, as a hostile commit would."""
    manifest_path = root / "models" / "sentiment.yaml"
    m = mf.load(manifest_path)
    updates = {comp: tuple(replace(e, **changes) if e.path == path else e for e in getattr(m, comp))
               for comp in mf.FILE_COMPONENTS}
    mf.save(replace(m, **updates), manifest_path)
    if "md5" in changes:
        pointer = root / f"{path}.dvc"
        text = pointer.read_text()
        old = next(line for line in text.splitlines() if line.startswith("- md5: "))
        pointer.write_text(text.replace(old, f"- md5: {changes['md5']}"))


def hostile_dir_release(root: Path, relpath: str, payload: bytes = b"import os  # runs at start-up\n") -> None:
    """Pin `data/train` to a `.dir` listing in the remote whose one file has `relpath` (absolute or with
    `..`), commit it as version 0.2.0 and tag it, and drop every local copy so commands must fetch it."""
    import shutil

    from gitmodel.transfer import push

    push(root)
    child = put_object(payload)
    listing = json.dumps([{"md5": child, "relpath": relpath}], sort_keys=True).encode()
    dir_md5 = put_object(listing, suffix=".dir")
    set_entry(root, "data/train", md5=dir_md5, sha256="0" * 64, nfiles=1)
    text = (root / "models" / "sentiment.yaml").read_text().replace("version: 0.1.0", "version: 0.2.0")
    (root / "models" / "sentiment.yaml").write_text(text)
    git(root, "commit", "-q", "-am", "sentiment 0.2.0")
    git(root, "tag", "-a", "sentiment@v0.2.0", "-m", "hostile release")
    shutil.rmtree(root / ".dvc" / "cache", ignore_errors=True)
