"""`gitmodel check --base REV --verify-objects`: CI proves the bytes a change pins are in the remote.

The gate judges manifests and pointers; a contributor who skips the hooks can still pin an md5 whose
bytes are not the bytes the manifest's sha256 names (an md5-only swap), or release weights whose objects
never reached the remote. For every manifest changed since REV, each DVC or LFS file it pins that differs
from REV's manifest is downloaded from the remote into a scratch directory (never the user's DVC cache,
LFS store or work tree) and hashed: its md5 must be its name (DVC) and its sha256 the manifest's.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitmodel.infra.errors import ExternalFailure, GitmodelError, Refused
from gitmodel.infra.fileio import safe_target
from gitmodel.infra.hashing import md5_file, sha256_dir, sha256_file
from gitmodel.model import manifest as mf
from gitmodel.model.config import load_config
from gitmodel.model.manifest import FileEntry
from gitmodel.repo import git

PUSH = "run `gitmodel push` on the machine that has the bytes"
REPIN = ("the manifest's md5 and sha256 name different bytes: re-pin the true file with `gitmodel bump NAME` "
         "(it hashes both)")


@dataclass
class ObjectCheck:
    manifest: str
    path: str
    storage: str
    expected: str
    problem: str | None = None   # None: the remote's bytes hash to the manifest's sha256
    fix: str | None = None

    def line(self) -> str:
        return f"{self.manifest}: {self.path}: {self.problem} — {self.fix}"


@dataclass
class ObjectsReport:
    base: str
    checks: list[ObjectCheck] = field(default_factory=list)
    bytes_checked: int = 0

    @property
    def ok(self) -> bool:
        return all(c.problem is None for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "base": self.base, "bytes": self.bytes_checked, "objects": [
            {"manifest": c.manifest, "path": c.path, "storage": c.storage, "sha256": c.expected,
             "ok": c.problem is None, "problem": c.problem, "fix": c.fix} for c in self.checks]}


def _changed_entries(root: Path, base: str) -> list[tuple[str, FileEntry]]:
    """(manifest path, entry) for each DVC/LFS file a manifest changed since `base` pins anew."""
    cfg = load_config(root)
    if git.resolve_commit(root, base) is None:
        raise ExternalFailure(f"unknown revision {base!r}", where="--base",
                              hint="fetch it first (`git fetch origin`, and full history in CI)")
    out: list[tuple[str, FileEntry]] = []
    for path in git.changed_paths(root, base, "HEAD", [cfg.manifests]):
        if not path.endswith((".yaml", ".yml")):
            continue
        blobs = git.cat_files(root, [f"HEAD:{path}", f"{base}:{path}"])
        head, old = blobs[f"HEAD:{path}"], blobs[f"{base}:{path}"]
        if head is None:
            continue  # deleted: nothing pinned to fetch
        manifest = mf.parse(head, where=f"HEAD:{path}", full=False)
        before: set[tuple[str, str, str | None]] = set()
        if old is not None:
            try:
                before = {(e.path, e.sha256, e.md5) for _, e in mf.parse(old, where=path, full=False).files()}
            except GitmodelError:
                before = set()
        for _, entry in manifest.files():
            if entry.storage in ("dvc", "lfs") and (entry.path, entry.sha256, entry.md5) not in before:
                out.append((path, entry))
    return out


def _check_dvc(root: Path, items: list[tuple[str, FileEntry]], scratch: Path, remote: str | None,
               report: ObjectsReport) -> None:
    from gitmodel.storage import dvc_transfer

    fetched = dvc_transfer.fetch_into(root, [e for _, e in items], scratch / "objects", remote)
    for manifest_path, entry in items:
        check = ObjectCheck(manifest_path, entry.path, "dvc", entry.sha256)
        report.checks.append(check)
        if entry.path in fetched.missing:
            check.problem = f"object md5 {entry.md5} is missing from the remote {fetched.remote.url}"
            check.fix = PUSH
            continue
        parts = fetched.objects.get(entry.path, [])
        # sha256 alone decides; md5 (2x the cost) is read only to say why a mismatch happened
        digests = {obj: sha256_file(obj) for _, obj in parts}
        if entry.md5 and entry.md5.endswith(".dir"):
            actual = _dir_sha256(Path(tempfile.mkdtemp(dir=scratch)), entry, parts, digests)
        else:
            actual = digests[parts[0][1]]
        report.bytes_checked += sum(obj.stat().st_size for _, obj in parts)
        if actual == entry.sha256:
            continue
        damaged = [obj for _, obj in parts if md5_file(obj) != obj.parent.name + obj.name]
        if damaged:
            check.problem = f"the remote's object {damaged[0].parent.name + damaged[0].name} is damaged"
            check.fix = "delete it from the remote, then " + PUSH
        else:
            check.problem = (f"the bytes under md5 {entry.md5} hash to sha256 {actual}, but the manifest "
                             f"records {entry.sha256}")
            check.fix = REPIN


def _dir_sha256(built: Path, entry: FileEntry, parts: list[tuple[str, Path]], digests: dict[Path, str]) -> str:
    """A directory's sha256 from its listing and its files' digests (hard links, no second read)."""
    import os

    by_target: dict[str, str] = {}
    for rel, obj in parts:
        target = safe_target(built, rel, where=f"{entry.path}: {rel}", links="none")
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(obj, target)
        except OSError:
            shutil.copyfile(obj, target)
        by_target[os.path.normpath(target)] = digests[obj]
    return sha256_dir(built, file_hash=lambda p: by_target.get(os.path.normpath(p)) or "")


def _check_lfs(root: Path, items: list[tuple[str, FileEntry]], scratch: Path, report: ObjectsReport) -> None:
    from gitmodel.storage.lfs import fetch_lfs_file

    for manifest_path, entry in items:
        check = ObjectCheck(manifest_path, entry.path, "lfs", entry.sha256)
        report.checks.append(check)
        dest = safe_target(scratch / "lfs-files", entry.path, where=entry.path, links="none")
        try:
            fetch_lfs_file(root, "HEAD", entry.path, dest, expected_sha256=entry.sha256,
                           store=scratch / "lfs-store")
        except (Refused, ExternalFailure) as exc:
            check.problem = exc.message
            check.fix = REPIN if isinstance(exc, Refused) else "push the LFS object (`git lfs push --all origin`)"
            continue
        report.bytes_checked += dest.stat().st_size


def verify_objects(root: Path, base: str, *, remote: str | None = None) -> ObjectsReport:
    """Fetch and hash every DVC/LFS object that a manifest changed since `base` pins (see module doc)."""
    report = ObjectsReport(base)
    items = _changed_entries(root, base)
    if not items:
        return report
    scratch = Path(tempfile.mkdtemp(prefix="gitmodel-verify-objects-"))
    try:
        dvc = [(p, e) for p, e in items if e.storage == "dvc"]
        if dvc:
            _check_dvc(root, dvc, scratch, remote or load_config(root).remote, report)
        _check_lfs(root, [(p, e) for p, e in items if e.storage == "lfs"], scratch, report)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return report
