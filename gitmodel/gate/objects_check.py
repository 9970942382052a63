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

from gitmodel.infra.errors import ExternalFailure, GitmodelError
from gitmodel.model import manifest as mf
from gitmodel.model.config import load_config
from gitmodel.model.manifest import FileEntry
from gitmodel.repo import git
from gitmodel.storage.backends import backend_for, by_backend


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
            if backend_for(entry).outside_git and (entry.path, entry.sha256, entry.md5) not in before:
                out.append((path, entry))
    return out


def verify_objects(root: Path, base: str, *, remote: str | None = None) -> ObjectsReport:
    """Fetch and hash every DVC/LFS object that a manifest changed since `base` pins (see module doc)."""
    report = ObjectsReport(base)
    items = _changed_entries(root, base)
    if not items:
        return report
    scratch = Path(tempfile.mkdtemp(prefix="gitmodel-verify-objects-"))
    try:
        for backend, entries in by_backend(e for _, e in items):
            manifests = [path for path, e in items if backend_for(e) is backend]
            for manifest_path, found in zip(manifests, backend.check_remote(root, entries, scratch, remote),
                                            strict=True):
                report.checks.append(ObjectCheck(manifest_path, found.entry.path, backend.name, found.entry.sha256,
                                                 found.problem, found.fix))
                report.bytes_checked += found.size
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return report
