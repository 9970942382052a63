"""Advisory file locks between processes (flock): the per-user caches shared by concurrent resolvers, and
the journal of a running `dvc add` (gitmodel/storage/inflight.py).

A lock is held on an open file descriptor and dies with the process, so a resolver killed mid-way never
leaves a lock behind. On a system without flock (Windows) the locks are no-ops.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the file `path` (created if missing) for the block; waits for other holders."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no flock
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _locked(path: Path, *, exclusive: bool) -> int | None:
    """A descriptor of `path` holding a shared lock (waiting for it) or an exclusive one (not waiting); None
    when it cannot be opened, or the exclusive lock is held by someone else."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB if exclusive else fcntl.LOCK_SH)
    except OSError:
        os.close(fd)
        return None
    return fd


def hold_shared(path: Path) -> int | None:
    """Take a shared lock on `path` (a file or directory) and return its descriptor, kept open by the caller
    for as long as the thing is in use; None when it cannot be opened."""
    return _locked(path, exclusive=False)


def try_exclusive(path: Path) -> int | None:
    """An exclusive lock on `path` without waiting: its descriptor, or None when someone holds it (in use)."""
    return _locked(path, exclusive=True)


def hold_new(path: Path) -> int:
    """Create `path` (it must not exist) and hold an exclusive lock on it: its descriptor, kept open for as long
    as the lock is meant (it dies with the process). Without flock (Windows) the file is only created."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no flock
        return fd
    fcntl.flock(fd, fcntl.LOCK_EX)  # a file nobody else has opened yet: never waits
    return fd

