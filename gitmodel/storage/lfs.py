"""Git LFS calls for the LFS backend (gitmodel/storage/lfs_backend.py): set-up, staged-pointer checks, verified
fetches, a release's objects on the LFS server. Every git and git-lfs call goes through `gitmodel.repo.git`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from gitmodel.infra.errors import ExternalFailure, InvalidInput, Refused
from gitmodel.infra.fileio import temp_beside
from gitmodel.repo import git
from gitmodel.storage.backend import Setup
from gitmodel.storage.lfs_backend import POINTER_MAX, lfs_oid

if TYPE_CHECKING:
    from gitmodel.model.manifest import FileEntry

INSTALL_HINT = "install Git LFS (Debian/Ubuntu: `apt-get install git-lfs`; macOS: `brew install git-lfs`)"
# Variables that make a smudge pass the pointer through instead of the content.
_SKIP_ENV = ("GIT_LFS_SKIP_SMUDGE",)


@dataclass
class LfsSetup(Setup):
    """What `prepare` changed: files to stage and notes for the user."""

    changed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    attributes_before: bytes | None = None  # .gitattributes as it was (None: it did not exist)

    def undo(self, root: Path) -> None:
        """Put .gitattributes back as it was when a later step of the command fails."""
        if ".gitattributes" not in self.changed:
            return
        path = root / ".gitattributes"
        if self.attributes_before is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(self.attributes_before)


def available(root: Path) -> bool:
    """True when `git lfs` runs here."""
    return git.run(root, "lfs", "version", check=False).returncode == 0


def require(root: Path) -> None:
    if not available(root):
        raise ExternalFailure("git-lfs is not installed (needed for files stored in Git LFS)",
                              hint=f"{INSTALL_HINT}, then `git lfs install`")


def _env() -> dict[str, str]:
    env = git.no_git_env()
    for key in _SKIP_ENV:
        env.pop(key, None)
    return env


def used_here(root: Path) -> bool:
    """The repository uses Git LFS: git-lfs made its store `<git common dir>/lfs` (any LFS filter run, `git lfs
    track` or `git lfs install` does). The hook stubs in hooks/ test the same directory."""
    common = git.run(root, "rev-parse", "--path-format=absolute", "--git-common-dir", check=False)
    return common.returncode == 0 and (Path(common.text.strip()) / "lfs").is_dir()


def hook_runs_lfs(path: Path, hook: str) -> bool:
    """A hook script that runs `git lfs <hook>` itself (Git LFS's own, or one merged by hand)."""
    try:
        with open(path, "rb") as stream:
            text = stream.read(65536)
    except OSError:
        return False
    return f"git lfs {hook}".encode() in text or f"git-lfs {hook}".encode() in text


def _store_has(root: Path, oid: str, size: int) -> bool:
    common = git.out(root, "rev-parse", "--path-format=absolute", "--git-common-dir")
    try:
        return (Path(common) / "lfs" / "objects" / oid[:2] / oid[2:4] / oid).stat().st_size == size
    except OSError:
        return False


def release_objects_on_remote(root: Path, remote: str | None, tag: str, entries: Iterable[FileEntry]) -> list[str]:
    """Problems (one line each) with a pushed release's LFS objects on the LFS server of `remote`.

    The objects the release's committed pointers name go through `git lfs push --object-id`: Git LFS asks its
    server which it lacks and uploads only those, as its own pre-push does for new commits (which skips a
    tag on a commit the remote already has). An object this clone never downloaded cannot be shown to be
    there without downloading it, so the push is refused with the command that does.
    """
    paths = [e.path for e in entries]  # the LFS backend passes its own entries
    if not paths:
        return []
    remote = remote or "origin"
    blobs = git.cat_files(root, [f"{tag}:{p}" for p in paths])
    pointers = {p: lfs_oid(blob) for p in paths if (blob := blobs.get(f"{tag}:{p}")) is not None}
    objects = {p: pointer for p, pointer in pointers.items() if pointer is not None}
    if not objects:
        return []
    if not available(root):
        return [f"{tag}: cannot confirm its Git LFS objects are on {remote}'s LFS server: git-lfs is not installed "
                f"— {INSTALL_HINT}"]
    absent = [p for p, (oid, size) in objects.items() if not _store_has(root, oid, size)]
    if absent:
        return [f"{tag}: {len(absent)} Git LFS file(s) of this release are not in this clone's LFS store, so "
                f"{remote}'s LFS server cannot be shown to have them: {', '.join(absent)} — run `git lfs fetch "
                f"{remote} {tag}` (it fails if the server lacks them: then `git lfs push --all {remote}` from a "
                f"clone that has them), and push again"]
    oids = sorted({oid for oid, _ in objects.values()})
    result = git.run(root, "lfs", "push", "--object-id", remote, *oids, check=False, env=_env())
    if result.returncode != 0:
        return [f"{tag}: its Git LFS objects ({', '.join(objects)}) could not be uploaded to {remote}'s LFS "
                f"server: {_lfs_error(result.stderr)} — check `git lfs env` and the server, then push again"]
    return []


def filter_configured(root: Path) -> bool:
    """True when `git add` would run LFS's clean filter (`git lfs install` was run, globally or here)."""
    return bool(git.config_get(root, "filter.lfs.process") or git.config_get(root, "filter.lfs.clean"))


def routed(root: Path, path: str) -> bool:
    """True when .gitattributes sends `path` through the LFS filter."""
    result = git.run(root, "check-attr", "filter", "--", path, check=False)
    return result.returncode == 0 and result.text.strip().endswith(": lfs")


def prepare(root: Path, paths: Sequence[str]) -> LfsSetup:
    """Make `git add PATH` store each path as an LFS pointer: filter configured, path tracked."""
    setup = LfsSetup()
    if not paths:
        return setup
    require(root)
    if not filter_configured(root):
        # Filters are configured even when LFS refuses to overwrite a foreign hook (exit 2).
        result = git.run(root, "lfs", "install", "--local", check=False)
        if not filter_configured(root):
            detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
            raise ExternalFailure("`git lfs install --local` failed" + (f": {detail[-1]}" if detail else ""),
                                  where=str(root), hint="run `git lfs install` yourself and retry")
        setup.notes.append("ran `git lfs install --local` (the LFS filter was not configured)")
        if result.returncode != 0:
            setup.notes.append("Git LFS did not install its own hooks because a hook exists: run `gitmodel hooks "
                               "install` (gitmodel's hooks run Git LFS's), or merge `git lfs update --manual`'s "
                               "lines into your hooks")
    untracked = [p for p in paths if not routed(root, p)]
    attributes = root / ".gitattributes"
    setup.attributes_before = attributes.read_bytes() if attributes.exists() else None
    for path in untracked:
        git.run(root, "lfs", "track", "--filename", "--", path, env=_env())
    if untracked:
        setup.changed.append(".gitattributes")
        setup.notes.append("tracked in Git LFS (.gitattributes): " + ", ".join(untracked))
    return setup


def worktree_pointer(full: Path) -> tuple[str, int] | None:
    """(sha256, size) when a work-tree file is an LFS pointer that was never smudged, else None."""
    try:
        if not full.is_file() or full.stat().st_size > POINTER_MAX:
            return None
        return lfs_oid(full.read_bytes())
    except OSError:
        return None


def not_downloaded(full: Path, path: str, expected: str) -> str | None:
    """What `verify` says of an LFS file whose working copy is still its pointer (a GIT_LFS_SKIP_SMUDGE clone):
    not a changed file but one never downloaded, and the command that downloads it. None: not a pointer."""
    pointer = worktree_pointer(full)
    if pointer is None:
        return None
    fix = f"run `git lfs pull --include {shlex.quote(path)}`"
    if pointer[0] == expected:
        return f"not downloaded (LFS pointer) — {fix}"
    return (f"not downloaded (LFS pointer to sha256 {pointer[0]}, the manifest pins {expected}) — {fix}, then "
            f"`gitmodel status` shows what changed")


def verify_staged(root: Path, expected: Iterable[tuple[str, str]]) -> None:
    """Each (path, sha256) is staged as an LFS pointer naming that sha256; refuse a plain blob."""
    pairs = list(expected)
    if not pairs:
        return
    blobs = git.cat_files(root, [f":{p}" for p, _ in pairs])
    for path, sha in pairs:
        blob = blobs.get(f":{path}")
        pointer = lfs_oid(blob) if blob is not None else None
        if pointer is None:
            raise ExternalFailure(f"{path} was staged as a plain git blob, not a Git LFS pointer",
                                  where=path, hint=f"check `git check-attr filter -- {path}` says lfs and "
                                  f"`git lfs install` was run, then `git rm --cached {path}` and retry")
        if pointer[0] != sha:
            raise Refused(f"staged LFS pointer names sha256:{pointer[0][:12]}, the file hashes to {sha[:12]}",
                          where=path, hint=f"run `git add {path}` again")


def pointer_at(root: Path, rev: str | None, path: str) -> tuple[str, int] | None:
    """(sha256, size) of the LFS pointer at `rev:path` (the index when rev is None); None if not one."""
    blob = git.show_file(root, rev, path)
    if blob is None:
        where = f"{rev}:{path}" if rev else f"(index):{path}"
        raise InvalidInput("no such file", where=where, hint="check the revision and the path")
    return lfs_oid(blob)


def fetch_lfs_file(root: Path, rev: str | None, path: str, dest: Path, *, expected_sha256: str | None = None,
                   store: Path | None = None) -> None:
    """Write the bytes of the LFS file `rev:path` to `dest`, verified against the pointer's sha256.

    The object comes from the local LFS store, else from the LFS server of the default remote (git-lfs
    downloads it into the store). `dest` is replaced atomically and only when the bytes verify; a file
    stored as a plain git blob is written from the blob and verified the same way. With `store`, the
    object is downloaded through a scratch bare repository there that knows only the LFS server's address:
    CI then checks what the server holds, never a copy in the repository's LFS store (nor adds one).
    """
    spec = f"{rev}:{path}" if rev else f":{path}"
    blob = git.show_file(root, rev, path)
    if blob is None:
        raise InvalidInput("no such file", where=spec, hint="check the revision and the path")
    pointer = lfs_oid(blob)
    want = pointer[0] if pointer else hashlib.sha256(blob).hexdigest()
    if expected_sha256 is not None and want != expected_sha256:
        raise Refused(f"{spec} names sha256:{want[:12]} but the manifest pins {expected_sha256[:12]}",
                      where=path, hint="the manifest and the committed file disagree: run `gitmodel check`")
    tmp = temp_beside(dest)  # pid-marked: one left by a killed run is swept by the next
    try:
        if pointer is None:
            tmp.write_bytes(blob)
        else:
            require(root)
            where_from = root if store is None else _scratch_repo(root, store)
            result = git.run_to_file(where_from, "lfs", "smudge", "--", path, dest=tmp, input=blob, check=False,
                                     env=_env())
            if result.returncode != 0:
                raise ExternalFailure(f"git lfs could not get {spec}: {_lfs_error(result.stderr)}", where=path,
                                      hint="check the LFS remote (`git lfs env`), then `git lfs fetch` "
                                      "(the object is in no local store and no LFS server gave it)")
        digest, size = _sha256_and_size(tmp)
        if digest != want or (pointer is not None and size != pointer[1]):
            raise Refused(f"bytes fetched for {spec} hash to sha256:{digest[:12]} ({size} bytes), "
                          f"expected {want[:12]} ({pointer[1] if pointer else len(blob)} bytes)",
                          where=path, hint="the LFS object is corrupt or missing: `git lfs fetch --all`, "
                          "then `git lfs fsck`")
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _scratch_repo(root: Path, store: Path) -> Path:
    """A bare repository at `store` with the LFS server settings of `root` (and nothing else)."""
    if not (store / "HEAD").exists():
        store.mkdir(parents=True, exist_ok=True)
        git.run(store, "init", "-q", "--bare")
        for key in ("remote.origin.url", "lfs.url", "remote.origin.lfsurl"):
            value = git.config_get(root, key)
            if value:
                git.run(store, "config", key, value)
    return store


def fetch_lfs_files(root: Path, rev: str | None, items: Sequence[tuple[str, Path, str | None]]) -> None:
    """Fetch many (path, dest, expected sha256) at once: one `git lfs fetch` batch, then verified copies."""
    if not items:
        return
    if rev is not None and available(root) and git.config_get(root, "remote.origin.url"):
        # Best effort: a batch download is faster than one request per smudge, and smudge reports failures.
        include = ",".join(p for p, _, _ in items if "," not in p)
        if include:
            git.run(root, "lfs", "fetch", "origin", rev, "--include", include, check=False, env=_env())
    for path, dest, expected in items:
        fetch_lfs_file(root, rev, path, dest, expected_sha256=expected)


def _lfs_error(stderr: bytes) -> str:
    """The line of git-lfs's output that says what went wrong (it ends with advice about its logs)."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    for line in lines:
        if "rror" in line and not line.startswith(("Errors logged", "Use `git lfs logs")):
            return line.split("Smudge error: ")[-1]
    return lines[0] if lines else "no error message"


def _sha256_and_size(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(4 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
