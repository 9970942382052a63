"""Shared set-ups for the attack tests: a released model in a real DVC repo whose objects are in a real
local DVC remote, the hostile things a contributor with write access to that remote can do, and the
module-scoped template repos that several attack modules build once and copy per test."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from gitmodel.model import components
from gitmodel.model import manifest as mf
from gitmodel.model.records import replace
from tests.conftest import git, gm
from tests.reliability_kit import copy_repo
from tests.test_storage import make_model_repo, remote_object

__all__ = ["make_model_repo", "remote_object", "put_object", "hostile_dir_release", "set_entry", "entry",
           "pushed_model_repo", "template_runner", "copy_template"]


def pushed_model_repo(root: Path) -> Path:
    """make_model_repo (sentiment released as 0.1.0 in a real DVC repo), its objects pushed to the remote."""
    make_model_repo(root)
    pushed = gm(root, "push")
    assert pushed.returncode == 0, pushed.stderr
    return root


def template_runner(root: Path) -> Callable[..., None]:
    """`run(*argv)` in a module-scoped template repo: each step must succeed. conftest's autouse
    `session_env` already gives module-scoped fixtures an isolated HOME, git config and this checkout
    on PYTHONPATH, so the template needs no environment of its own."""

    def run(*argv: str) -> None:
        done = subprocess.run(list(argv), cwd=root, capture_output=True, text=True)
        assert done.returncode == 0, (argv, done.stderr)

    return run


def copy_template(template: Path, tmp_path: Path) -> Path:
    """This test's own copy of a template repo at `tmp_path/repo` (links kept as links), with its own copy
    of the template's DVC remote where it has one (`template.parent/remote`), so no test writes to
    another's."""
    return copy_repo(template, tmp_path / "repo")


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
    updates = {comp: tuple(replace(e, **changes) if e.path == path else e for e in m.get(comp) or ())
               for comp in components.REGISTRY.file_kinds}
    mf.save(m.with_values(updates), manifest_path)
    if "md5" in changes:
        pointer = root / f"{path}.dvc"
        text = pointer.read_text()
        old = next(line for line in text.splitlines() if line.startswith("- md5: "))
        pointer.write_text(text.replace(old, f"- md5: {changes['md5']}"))


def hostile_dir_release(root: Path, relpath: str, payload: bytes = b"import os  # runs at start-up\n") -> None:
    """Pin `data/train` to a `.dir` listing in the remote whose one file has `relpath` (absolute or with
    `..`), commit it as version 0.2.0 and tag it, and drop every local copy so commands must fetch it."""
    import shutil

    from gitmodel.storage.transfer import push

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
