"""Which bytes are saved: the sha256s a manifest pinned in HEAD's recent history and at every release.

A working file with one of them is an earlier pinned version (the older weights a `git pull` left behind
until `gitmodel pull`), never work to record: nothing suggests `gitmodel bump` for it.
"""

from __future__ import annotations

from pathlib import Path

from gitmodel.infra.errors import GitmodelError
from gitmodel.repo import git


def pinned_before(root: Path, name: str, manifest_path: str, *, depth: int = 200) -> dict[str, set[str]]:
    """path → every sha256 `manifest_path` pinned for it in the last `depth` commits that touched it and in
    the commit of each release tag of model `name`."""
    from gitmodel.model import manifest as mf

    if git.head_commit(root) is None:
        return {}  # no commit yet: nothing is saved
    commits = git.out(root, "log", f"-n{depth}", "--format=%H", "HEAD", "--", manifest_path).split()
    releases = git.out(root, "for-each-ref", "--format=%(*objectname)", f"refs/tags/{name}@v*").split()
    known: dict[str, set[str]] = {}
    specs = [f"{c}:{manifest_path}" for c in dict.fromkeys(commits + releases)]
    for spec, blob in git.cat_files(root, specs).items():
        if blob is None:
            continue
        try:
            old = mf.parse(blob, where=spec, full=False)
        except GitmodelError:
            continue
        for _, e in old.files():
            known.setdefault(e.path, set()).add(e.sha256)
    return known
