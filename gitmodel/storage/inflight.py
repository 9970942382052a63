"""What `dvc add` may take away, kept until it returns: a run killed mid-add loses no file.

`dvc add` (copy cache type) hashes a file, puts it in its cache, then *removes the working file* and copies
the cache's bytes back. A `kill -9` (or a full disk) between the two leaves the user's file gone from the
work tree, and its DVC pointer still naming the old md5: the next `gitmodel bump` would read that as "not
pulled here, unchanged" and version the model without its new weights. DVC also writes the pointer in place,
so a kill mid-write leaves a torn one.

So before DVC runs, each file it will replace is hard-linked (copied where links fail) into a journal under
`.git/gitmodel/inflight/`, with the bytes of its pointer as they were, and the journal is removed when DVC
returns. The journal's lock is held by the running command; a journal whose lock is free belongs to a dead
run, and the next `add`, `bump`, `pull` or `checkout` (`recover`) puts back each working file that is missing
(atomically, with its mode), puts back a pointer DVC left torn as it was before that run (a whole pointer —
DVC's new one, or one the user has written since — is left alone: `bump` re-adds a file whose pointer does
not match it), removes DVC's half-copied `.<token>.tmp` files beside them, then drops the journal. Running
the command again then finishes the job.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from stat import S_IMODE, S_ISREG

from gitmodel.infra.fileio import atomic_write
from gitmodel.infra.locks import hold_new, try_exclusive

JOURNAL = "journal.json"
_DVC_TEMP = re.compile(r"\.[A-Za-z0-9_-]{22}\.tmp")  # dvc_objects.fs.utils.tmp_fname()


def _base(root: Path) -> Path:
    from gitmodel.repo import git

    return git.git_dir(root) / "gitmodel" / "inflight"


def _replaced(full: Path) -> Iterator[Path]:
    """The files at `full` that `dvc add` will remove and copy back: a file output always; in a directory
    only the files with other hard links (a plain copy, `st_nlink == 1`, DVC leaves in place and only
    unprotects: keeping a link to it would make DVC copy every file of a dataset). Links are not followed."""
    if full.is_symlink() or not full.exists():
        return
    if full.is_file():
        yield full
        return
    for top, dirs, names in os.walk(full):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(top, d))]
        for name in names:
            stat = os.lstat(os.path.join(top, name))
            if S_ISREG(stat.st_mode) and stat.st_nlink > 1:
                yield Path(top, name)


def _keep(source: Path, dest: Path) -> None:
    try:
        os.link(source, dest, follow_symlinks=False)
    except OSError:  # another file system, or links refused: a copy keeps the bytes as well
        shutil.copyfile(source, dest, follow_symlinks=False)


@contextlib.contextmanager
def guarded(root: Path, paths: Sequence[str], pointer: Callable[[str], str]) -> Iterator[None]:
    """Keep the files at `paths` and their pointers (`pointer` names a path's pointer file) while the
    block runs; on an error the block's removals are undone at once, on a kill by the next `recover`."""
    base = _base(root)
    base.mkdir(parents=True, exist_ok=True)
    name = f"{os.getpid()}.{os.urandom(4).hex()}"
    lock = _locked_lock(base, name)
    run = base / name
    try:
        run.mkdir()
        journal = _write_journal(root, run, paths, pointer)
        try:
            yield
        except BaseException:
            _restore(root, run, journal, pointers=False)  # the pointers: all_or_nothing puts them back
            raise
    finally:
        shutil.rmtree(run, ignore_errors=True)
        (base / f"{name}.lock").unlink(missing_ok=True)
        os.close(lock)


def _locked_lock(base: Path, name: str) -> int:
    """`NAME.lock`, made visible only once this process holds its lock (a rename keeps the open file), so
    `recover` never takes a run that is starting for a dead one."""
    temp = base / f"{name}.lock.tmp"
    fd = hold_new(temp)
    os.replace(temp, base / f"{name}.lock")
    return fd


def _write_journal(root: Path, run: Path, paths: Sequence[str], pointer: Callable[[str], str]) -> dict[str, object]:
    files: dict[str, list[object]] = {}
    pointers: dict[str, str | None] = {}
    for path in paths:
        for full in _replaced(root / path):
            key = str(len(files))
            _keep(full, run / key)
            files[key] = [full.relative_to(root).as_posix(), S_IMODE(os.lstat(full).st_mode)]
        ptr = pointer(path)
        try:
            pointers[ptr] = (root / ptr).read_bytes().decode("utf-8", "surrogateescape")
        except FileNotFoundError:
            pointers[ptr] = None
    journal = {"files": files, "pointers": pointers}
    atomic_write(run / JOURNAL, json.dumps(journal), durable=False)
    return journal


def recover_notes(root: Path) -> list[str]:
    """`recover`, said: a note for each path put back (`add`, `bump`, `pull` and `checkout` run it first)."""
    return [f"put back {path} as it was before an interrupted run (killed while `dvc add` replaced it)"
            for path in recover(root)]


def recover(root: Path) -> list[str]:
    """Put back what a killed run's `dvc add` had taken away (see the module text); the paths restored."""
    base = _base(root)
    try:
        locks = [entry.name for entry in os.scandir(base) if entry.name.endswith(".lock")]
    except FileNotFoundError:
        return []
    restored: list[str] = []
    for name in locks:
        lock = try_exclusive(base / name)
        if lock is None:
            continue  # its command is still running (or another recover took it)
        try:
            run = base / name.removesuffix(".lock")
            try:
                journal = json.loads((run / JOURNAL).read_text("utf-8"))
            except (OSError, ValueError):
                journal = None  # killed before DVC started, or while cleaning up: nothing was taken
            if isinstance(journal, dict):
                restored += _restore(root, run, journal, pointers=True)
            shutil.rmtree(run, ignore_errors=True)
            (base / name).unlink(missing_ok=True)
        finally:
            os.close(lock)
    return restored


def _restore(root: Path, run: Path, journal: dict[str, object], *, pointers: bool) -> list[str]:
    """Put back each kept file that is missing (through a temp file and a rename, with its mode: a kill
    here leaves the journal to the next run), and with `pointers` each pointer DVC left torn."""
    from gitmodel.infra.fileio import safe_target, temp_beside

    restored: list[str] = []
    files = journal.get("files")
    for key, kept in (files.items() if isinstance(files, dict) else ()):
        if not (isinstance(kept, list) and len(kept) == 2 and isinstance(kept[0], str) and isinstance(kept[1], int)) \
                or not (run / key).is_file():
            continue
        rel, mode = kept
        target = safe_target(root, rel, where=rel)  # a journal is data: never a write outside the tree
        for stray in _dvc_temps(target.parent):
            stray.unlink(missing_ok=True)
        if os.path.lexists(target):
            continue  # DVC's copy of the same bytes is back, or the user has written the file since
        temp = temp_beside(target)
        shutil.copyfile(run / key, temp)
        os.chmod(temp, mode)
        os.replace(temp, target)
        restored.append(rel)
    saved = journal.get("pointers") if pointers else None
    for rel, text in (saved.items() if isinstance(saved, dict) else ()):
        if isinstance(rel, str) and (text is None or isinstance(text, str)) and _torn(root, rel):
            # DVC writes a pointer in place: one cut short goes back to what it was before that run (none, for
            # a new file); a whole one, DVC's or the user's since, is left as it is
            target = safe_target(root, rel, where=rel)
            if text is None:
                target.unlink(missing_ok=True)
            else:
                atomic_write(target, text.encode("utf-8", "surrogateescape"))
            restored.append(rel)
    return restored


def _torn(root: Path, rel: str) -> bool:
    from gitmodel.infra.errors import InvalidInput
    from gitmodel.storage.dvc_pointers import parse_pointer

    try:
        data = (root / rel).read_bytes()
    except OSError:
        return False  # missing: nothing DVC left half-written
    try:
        return not parse_pointer(data, where=rel).path
    except InvalidInput:
        return True


def _dvc_temps(directory: Path) -> list[Path]:
    try:
        return [Path(e.path) for e in os.scandir(directory) if _DVC_TEMP.fullmatch(e.name) and e.is_file()]
    except OSError:
        return []
