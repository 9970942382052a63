"""The storage backends, by the name a manifest entry gives (`storage: dvc`), as pre-commit lists its languages:
one module per backend (git_backend.py, dvc_backend.py, lfs_backend.py), one dict here. What a backend answers
is gitmodel/storage/backend.py. A new backend: a module with a `Backend` subclass, one line below, and its name
in the manifest schema's `storage` choices.

The commit hook imports this registry when a manifest is committed; each backend module imports its heavy
parts (DVC, git-lfs calls) inside the methods that need them.
"""

from __future__ import annotations

from gitmodel.storage.backend import Backend
from gitmodel.storage.dvc_backend import DvcBackend
from gitmodel.storage.git_backend import GitBackend
from gitmodel.storage.lfs_backend import LfsBackend

TYPE_CHECKING = False  # typing costs the hook ~4 ms (gitmodel/model/records.py)
if TYPE_CHECKING:
    from collections.abc import Iterable

    from gitmodel.model.manifest import FileEntry
    from gitmodel.repo.sources import Source

# In name order; commands that visit every backend (fetch, publish) visit them in this order.
BACKENDS: dict[str, Backend] = {backend.name: backend for backend in (DvcBackend(), GitBackend(), LfsBackend())}


def backend_named(name: str) -> Backend:
    """The backend a manifest's `storage:` names (the schema admits only registered names)."""
    return BACKENDS[name]


def backend_for(entry: FileEntry) -> Backend:
    """The backend that stores `entry`."""
    return BACKENDS[entry.storage]


def by_backend(entries: Iterable[FileEntry]) -> list[tuple[Backend, list[FileEntry]]]:
    """The entries grouped by backend, in registry order; backends with no entry are left out."""
    groups: dict[str, list[FileEntry]] = {}
    for entry in entries:
        groups.setdefault(entry.storage, []).append(entry)
    return [(backend, groups[name]) for name, backend in BACKENDS.items() if name in groups]


def preload(source: Source, entries: Iterable[FileEntry], git_paths: Iterable[str] = ()) -> None:
    """Prepare every backend's `sha256` of these entries (and of git-stored `git_paths`: params file,
    environment lock) in one go per backend: one git call rather than one per file."""
    paths: dict[str, list[str]] = {name: [] for name in BACKENDS}
    for entry in entries:
        paths[entry.storage].append(entry.path)
    paths[GitBackend.name] += git_paths
    for name, backend in BACKENDS.items():
        if paths[name]:
            backend.preload(source, paths[name])
