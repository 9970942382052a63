"""git started without `subprocess`: every git call gitmodel makes (`gitmodel.repo.git.run`) comes here.

Importing subprocess (threading, selectors, signal, locale...) costs a Python process more than the three git
calls the commit hook makes on a commit that concerns no model, and a sixth of its own work when one does.
`spawn_git` starts git with `os.posix_spawnp` and moves its stdin, stdout and stderr with `select.poll`
(both built in): input of any size is written as git reads it, while its output is read, so neither side
waits on a full pipe. `-C` stands for the working directory. Where posix_spawn is missing (Windows),
`gitmodel.repo.git.run` uses subprocess instead of this.
"""

from __future__ import annotations

import _signal  # built in: `signal` itself imports enum
import os

from gitmodel.repo.git import GitResult, not_installed

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

CHUNK = 1 << 16
_DEFAULT_SIGNALS = tuple(getattr(_signal, name) for name in ("SIGPIPE", "SIGXFSZ") if hasattr(_signal, name))


def spawn_git(cwd: str, args: tuple[str, ...] | list[str], input: bytes | None = b"",
              env: Mapping[str, str] | None = None) -> GitResult:
    """`git -C cwd ARGS` with `input` on its stdin (None: this process's stdin, as subprocess leaves it, so
    that gpg's pinentry still finds the terminal of a signing `git tag -s`); its exit code, stdout and stderr
    (never raises on a non-zero exit; raises ExternalFailure when git cannot be started)."""
    return Started(cwd, args, input, env).wait()


class Started:
    """git started and left to run: `wait` moves its input and output and returns its result. The commit hook
    starts `git diff --cached` first and reads its own index of HEAD while git compares the index with HEAD
    (on a 2-core machine, the two take turns on neither core)."""

    def __init__(self, cwd: str, args: tuple[str, ...] | list[str], input: bytes | None = b"",
                 env: Mapping[str, str] | None = None) -> None:
        in_r, in_w = os.pipe() if input is not None else (-1, -1)
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()  # the pipes are not inherited: only the dup2'd ends reach git
        actions = [(os.POSIX_SPAWN_DUP2, out_w, 1), (os.POSIX_SPAWN_DUP2, err_w, 2)]
        if input is not None:
            actions.insert(0, (os.POSIX_SPAWN_DUP2, in_r, 0))
        try:
            # SIGPIPE back to its default in git, as subprocess restores it: Python ignores it, and an ignored
            # signal stays ignored across exec
            self.pid = os.posix_spawnp("git", ["git", "-C", cwd, *args], dict(os.environ if env is None else env),
                                       file_actions=actions, setsigdef=_DEFAULT_SIGNALS)
        except FileNotFoundError:
            for fd in (in_r, in_w, out_r, out_w, err_r, err_w):
                if fd >= 0:
                    os.close(fd)
            raise not_installed() from None
        for fd in (in_r, out_w, err_w):
            if fd >= 0:
                os.close(fd)
        self._fds = (in_w, out_r, err_r)
        self._input = input
        self._result: GitResult | None = None

    def running(self) -> bool:
        """Whether git is still at work: its standard output not yet closed (False once waited for)."""
        if self._result is not None:
            return False
        import select

        poller = select.poll()
        poller.register(self._fds[1], select.POLLIN)  # a hang-up is reported whatever is asked
        return not any(events & select.POLLHUP for _, events in poller.poll(0))

    def wait(self) -> GitResult:
        """Write the input as git reads it, read its output and errors to the end, reap it (once)."""
        if self._result is not None:
            return self._result
        import select

        in_w, out_r, err_r = self._fds
        chunks: dict[int, list[bytes]] = {out_r: [], err_r: []}
        poller = select.poll()
        for fd in chunks:
            poller.register(fd, select.POLLIN)
        view = memoryview(self._input or b"")
        if view:
            os.set_blocking(in_w, False)
            poller.register(in_w, select.POLLOUT)
        elif in_w >= 0:
            os.close(in_w)
            in_w = -1
        open_fds = set(chunks)
        try:
            while open_fds or in_w >= 0:
                for fd, events in poller.poll():
                    if fd == in_w:
                        try:
                            view = view[os.write(in_w, view[:CHUNK]):]
                        except BlockingIOError:
                            continue
                        except BrokenPipeError:
                            view = view[:0]  # git exited without reading all: its exit code says why
                        if not view or events & (select.POLLERR | select.POLLHUP):
                            poller.unregister(in_w)
                            os.close(in_w)
                            in_w = -1
                        continue
                    data = os.read(fd, CHUNK)
                    if data:
                        chunks[fd].append(data)
                    else:
                        poller.unregister(fd)
                        open_fds.discard(fd)
        finally:
            for fd in (out_r, err_r, in_w):
                if fd >= 0:
                    os.close(fd)
            _, status = os.waitpid(self.pid, 0)
        self._result = GitResult(os.waitstatus_to_exitcode(status), b"".join(chunks[out_r]), b"".join(chunks[err_r]))
        return self._result
