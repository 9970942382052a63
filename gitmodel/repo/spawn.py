"""git for the commit hook's fast path, without `subprocess`.

Importing subprocess (threading, selectors, signal, locale...) and pathlib costs a Python process more than the
three git calls the hook makes on a commit that concerns no model. `run_small` starts git with
`os.posix_spawnp` and reads its output with `select.poll` (both built in), and `-C` stands for the working
directory. Every other git call goes through `gitmodel.repo.git.run`, which this falls back to where
posix_spawn is missing (Windows) or the input would not fit in a pipe before git reads it.
"""

from __future__ import annotations

import os

from gitmodel.repo.git import GitResult, not_installed

SMALL_INPUT = 16384  # written whole before any output is read: must fit in a pipe's buffer (64 KiB on Linux)


def run_small(cwd: str, *args: str, input: bytes = b"") -> GitResult:
    """`git -C cwd ARGS` with `input` on its stdin; its exit code, stdout and stderr (never raises on a
    non-zero exit; raises ExternalFailure when git cannot be started)."""
    if not hasattr(os, "posix_spawnp") or len(input) > SMALL_INPUT:
        from gitmodel.repo import git

        return git.run(cwd, *args, input=input or None, check=False)
    import select

    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()  # the pipes are not inherited: only the three dup2'd ends reach git
    actions = [(os.POSIX_SPAWN_DUP2, in_r, 0), (os.POSIX_SPAWN_DUP2, out_w, 1), (os.POSIX_SPAWN_DUP2, err_w, 2)]
    try:
        pid = os.posix_spawnp("git", ["git", "-C", cwd, *args], dict(os.environ), file_actions=actions)
    except FileNotFoundError:
        for fd in (in_r, in_w, out_r, out_w, err_r, err_w):
            os.close(fd)
        raise not_installed() from None
    for fd in (in_r, out_w, err_w):
        os.close(fd)
    try:
        view = memoryview(input)
        while view:
            view = view[os.write(in_w, view):]
    except BrokenPipeError:
        pass  # git exited without reading: its exit code says why
    finally:
        os.close(in_w)
    chunks: dict[int, list[bytes]] = {out_r: [], err_r: []}
    poller = select.poll()
    for fd in chunks:
        poller.register(fd, select.POLLIN)
    open_fds = set(chunks)
    try:
        while open_fds:
            for fd, _ in poller.poll():
                data = os.read(fd, 1 << 16)
                if data:
                    chunks[fd].append(data)
                else:
                    poller.unregister(fd)
                    open_fds.discard(fd)
    finally:
        os.close(out_r)
        os.close(err_r)
        _, status = os.waitpid(pid, 0)
    return GitResult(os.waitstatus_to_exitcode(status), b"".join(chunks[out_r]), b"".join(chunks[err_r]))
