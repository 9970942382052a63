"""The Python API for serving code: `gitmodel.resolve("sentiment#prod")` instead of a hard-coded version.

A release's files are exported (fetched through the DVC cache or remote when missing, each sha256
verified) into `<git dir>/gitmodel/resolved/<fingerprint>/`, a directory keyed by the release's content.
It is built under a temporary name and renamed into place only when complete, so a crash or a
concurrent resolver never leaves a half-written one; later calls reuse it after checking that no file
changed since (size, mtime and inode, as git's index does), and rebuild it otherwise.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitmodel.infra.fileio import remove_stale_temps, temp_beside
from gitmodel.model import components
from gitmodel.model.manifest import Manifest
from gitmodel.repo import git
from gitmodel.repo.tags import TagIndex, parse_ref, read_tags
from gitmodel.storage.export import Located, locate_release, stage_release
from gitmodel.storage.members import locate_members, remove_placed, resolve_members

MARKER = ".gitmodel-resolved.json"


@dataclass(frozen=True)
class Resolved:
    """One verified release on local disk."""

    name: str
    version: str
    tag: str
    commit: str
    fingerprint: str
    manifest: Manifest
    root: Path                  # the export directory (repo-relative layout)
    paths: dict[str, Path]      # manifest path → local file (or directory)
    members: dict[str, Resolved] = field(default_factory=dict)  # role → the verified release `uses` pins

    def component(self, component: str) -> list[Path]:
        """Local paths of one file kind's files, in manifest order (`weights`, `data`, `prompts`)."""
        return [self.paths[e.path] for e in self.manifest.get(component) or ()]

    def __getattr__(self, name: str) -> list[Path]:
        """`.weights`, `.data`, `.prompts`: one attribute per file kind of the registry (gitmodel/model/components.py)."""
        if name in components.REGISTRY.file_kinds:
            return self.component(name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *components.REGISTRY.file_kinds})

    def __str__(self) -> str:
        return f"{self.name}@v{self.version} (fingerprint {self.fingerprint[:12]})"


def _signatures(directory: Path) -> dict[str, list[int]]:
    sig = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file() and path.name != MARKER:
            info = path.stat()
            sig[path.relative_to(directory).as_posix()] = [info.st_size, info.st_mtime_ns, info.st_ino]
    return sig


def _still_valid(directory: Path, fingerprint: str) -> bool:
    try:
        recorded = json.loads((directory / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (isinstance(recorded, dict) and recorded.get("fingerprint") == fingerprint
            and recorded.get("files") == _signatures(directory))


def _paths(directory: Path, located: Located) -> dict[str, Path]:
    m = located.manifest
    rels = [e.path for _, e in m.files()] + [p for _, p, _ in m.pinned_extras()]
    return {rel: directory / rel for rel in rels}


def _export(root: Path, located: Located, base: Path, remote: str | None) -> Path:
    target = base / located.fingerprint
    base.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(base)  # left by a resolver killed mid-way
    staging = temp_beside(target, directory=True)
    try:
        stage_release(root, located, staging, remote=remote, include_manifest=False)
        marker: dict[str, Any] = {"fingerprint": located.fingerprint, "tag": located.tag,
                                  "files": _signatures(staging)}
        (staging / MARKER).write_text(json.dumps(marker, sort_keys=True), encoding="utf-8")
        if target.exists():  # stale or tampered with: move it aside, then replace
            aside = temp_beside(base / "stale", directory=True)
            os.rename(target, aside / "old")
            shutil.rmtree(aside, ignore_errors=True)
        try:
            os.rename(staging, target)
        except OSError:
            if not _still_valid(target, located.fingerprint):  # lost a race to a bad copy: unlikely
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _verified(root: Path, ref: str) -> TagIndex:
    """verify=True: the stage event (or the release) must be signed by a known key and bound to the release,
    and the stage's approvals must hold (gitmodel/repo/governance.py)."""
    from gitmodel.infra.errors import Refused
    from gitmodel.model import semver
    from gitmodel.repo.history import current_holders
    from gitmodel.repo.verdicts import unverified_release, unverified_stage

    name, version, stage = parse_ref(ref)
    tags = read_tags(root, {name})
    if stage is not None:
        holder = current_holders(tags, name).get(stage)
        release = tags.release(name, semver.parse(holder.version)) if holder is not None else None
        if holder is None or release is None:
            return tags  # locate_release says what is missing
        problem = unverified_stage(root, tags, release, holder.event, stage)
    else:
        release = tags.release(name, semver.parse(version, where=ref)) if version else tags.latest(name)
        if release is None:
            return tags
        problem = unverified_release(root, release)
    if problem is not None:
        raise Refused(problem, where=ref, hint="promote (or tag) it again, signed by a member of the role "
                                               "whose key is in the signers file")
    return tags


def resolve(ref: str, *, repo: str | os.PathLike[str] | None = None, remote: str | None = None,
            cache_dir: str | os.PathLike[str] | None = None, verify: bool = False, offline_ok: bool | None = None,
            max_cache_bytes: int | None = None) -> Resolved:
    """`NAME#STAGE`, `NAME@vX.Y.Z` or `NAME` (latest release) → that release's verified local files.

    `repo` is any path inside the git repository (default: the current directory), or a git URL or bare
    repository served without a clone (gitmodel/storage/resolve_remote.py: per-user cache, `offline_ok`
    or GITMODEL_OFFLINE_OK=1 to serve the last verified files when the git remote is unreachable,
    `max_cache_bytes` or GITMODEL_CACHE_MAX_BYTES to bound that cache); `remote` a DVC remote name;
    `cache_dir` where exports live (default `<git dir>/gitmodel/resolved`). Raises gitmodel's errors:
    InvalidInput for an unknown model or version, Refused for an integrity mismatch, ExternalFailure when
    the remote cannot supply an object. With `verify=True`, `NAME#STAGE` needs a stage event signed by a
    key in the signers file, bound to its release, whose approvals hold (and `NAME@vX.Y.Z` a signed
    release tag); otherwise Refused.
    """
    from gitmodel.repo.remote import is_remote

    if repo is not None and is_remote(repo):
        from gitmodel.storage.resolve_remote import resolve_remote

        if verify:
            from gitmodel.infra.errors import InvalidInput

            raise InvalidInput("verify=True is not available with a git URL yet", where="repo",
                               hint="resolve from a clone to verify signatures, or leave verify off")

        found, where = resolve_remote(ref, repo, remote=remote, cache_dir=Path(cache_dir) if cache_dir else None,
                                      offline_ok=offline_ok, max_bytes=max_cache_bytes)
        return Resolved(found.name, found.version, found.tag, found.commit, found.fingerprint, found.manifest,
                        where, _paths(where, found))
    root = git.toplevel(Path(repo) if repo is not None else None)
    located = locate_release(root, ref, tags=_verified(root, ref) if verify else None)
    members = locate_members(root, located)  # every member's release checked before any byte is exported
    base = Path(cache_dir) if cache_dir is not None else git.git_dir(root) / "gitmodel" / "resolved"
    placed: list[Path] = []

    def materialize(located: Located, members: dict[str, Resolved]) -> Resolved:
        directory = base / located.fingerprint
        if not _still_valid(directory, located.fingerprint):
            directory = _export(root, located, base, remote)
            placed.append(directory)
        with contextlib.suppress(OSError):
            os.utime(directory)  # recency, for whoever prunes old exports
        return Resolved(located.name, located.version, located.tag, located.commit, located.fingerprint,
                        located.manifest, directory, _paths(directory, located), members)

    try:  # members first, the unit last: one set, placed whole or not at all (gitmodel/storage/members.py)
        return materialize(located, resolve_members(members, materialize, placed))
    except BaseException:
        remove_placed(placed)
        raise
