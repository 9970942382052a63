"""One `git cat-file --batch-command` answering every object read of a run (the commit hook's).

The hook reads a dozen objects in five or six rounds — HEAD's config and manifests ids, the staged manifest,
the trees on the way to its pins, pointers, the tree it keeps — and each round was one more git process
(~1.5 ms to start, whatever it reads). `git.batch_session(root)` opens one process on first use and asks it
every round (`info` as `--batch-check` answers, `contents` as `--batch`), until the session ends. Commands of a
round are written whole before its answers are read, in slices small enough for the pipe (git blocks on a
full stdout only after reading what we wrote), so neither side waits on the other. Anything unexpected — git
older than 2.36 (no `--batch-command`), a dead process, a short answer — closes the session, and the
caller's one-shot call answers instead (`BatchFailed`).
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

SLICE = 16384  # bytes of commands written before their answers are read: well under a pipe's 64 KiB


class BatchFailed(Exception):
    """The session cannot answer: ask git once instead."""


Answer = tuple[str, str, int, bytes | None]  # (id, type, size, contents: None for `info`)


class Batch:
    def __init__(self, cwd: str) -> None:
        in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
        null = os.open(os.devnull, os.O_WRONLY)
        actions = [(os.POSIX_SPAWN_DUP2, in_r, 0), (os.POSIX_SPAWN_DUP2, out_w, 1),
                   (os.POSIX_SPAWN_DUP2, null, 2)]
        try:
            self.pid = os.posix_spawnp("git", ["git", "-C", cwd, "cat-file", "--batch-command"], dict(os.environ),
                                       file_actions=actions)
        except OSError as exc:
            for fd in (in_r, in_w, out_r, out_w, null):
                os.close(fd)
            raise BatchFailed(str(exc)) from None
        for fd in (in_r, out_w, null):
            os.close(fd)
        self._in = in_w
        self._out = os.fdopen(out_r, "rb")
        self.alive = True
        self._sent: tuple[str, list[str]] | None = None  # a request written and not yet read (`send`)
        self._ready: dict[tuple[str, str], Answer | None] = {}  # its answers, until asked for

    def send(self, command: str, specs: Sequence[str]) -> None:
        """Ask now, read later: git answers (looking paths up through HEAD's trees) while this process goes on;
        the next `ask` reads these answers first and serves the specs it asks again from them. One request
        outstanding at a time, of at most SLICE bytes, so neither pipe can fill while nobody reads it."""
        if not self.alive:
            raise BatchFailed("closed")
        specs = list(dict.fromkeys(specs))
        data = "".join(f"{command} {spec}\n" for spec in specs).encode("utf-8", "surrogateescape")
        if not specs or len(data) >= SLICE:
            return
        try:
            self._drain()
            view = memoryview(data)
            while view:
                view = view[os.write(self._in, view):]
        except (OSError, ValueError) as exc:
            self.close()
            raise BatchFailed(str(exc)) from None
        self._sent = (command, specs)

    def _drain(self) -> None:
        if self._sent is not None:
            command, specs = self._sent
            self._sent = None
            for spec in specs:
                self._ready[(command, spec)] = self._answer(command == "contents")

    def ask(self, command: str, specs: Sequence[str]) -> dict[str, Answer | None]:
        """`command` ("info" or "contents") for each spec: its answer, None when missing."""
        if not self.alive:
            raise BatchFailed("closed")
        found: dict[str, Answer | None] = {}
        try:
            self._drain()
            if self._ready:
                for spec in specs:
                    if (command, spec) in self._ready:  # kept: the same answer for the whole run
                        found[spec] = self._ready[(command, spec)]
                if found:
                    rest = self.ask(command, [spec for spec in specs if spec not in found])
                    return {spec: found[spec] if spec in found else rest[spec] for spec in specs}
            start = 0
            while start < len(specs):
                end, size = start, 0
                while end < len(specs) and (end == start or size + len(specs[end]) + 10 < SLICE):
                    size += len(specs[end]) + 10
                    end += 1
                data = "".join(f"{command} {spec}\n" for spec in specs[start:end]).encode("utf-8", "surrogateescape")
                view = memoryview(data)
                while view:
                    view = view[os.write(self._in, view):]
                for spec in specs[start:end]:
                    found[spec] = self._answer(command == "contents")
                start = end
        except (OSError, ValueError) as exc:
            self.close()
            raise BatchFailed(str(exc)) from None
        return found

    def _answer(self, contents: bool) -> Answer | None:
        header = self._out.readline()
        if not header.endswith(b"\n"):
            raise ValueError("git cat-file --batch-command ended")
        fields = header[:-1].decode("utf-8", "surrogateescape").rsplit(" ", 2)
        if fields[-1] in ("missing", "ambiguous") or len(fields) != 3 or not fields[2].isdigit():
            if fields[-1] in ("missing", "ambiguous"):
                return None
            raise ValueError(f"unexpected answer {header[:80]!r}")
        oid, objtype, size = fields[0], fields[1], int(fields[2])
        if not contents:
            return oid, objtype, size, None
        body = self._out.read(size + 1)
        if len(body) != size + 1 or not body.endswith(b"\n"):
            raise ValueError("short object")
        return oid, objtype, size, body[:-1]

    def close(self) -> None:
        if not self.alive:
            return
        self.alive = False
        # try/except rather than contextlib.suppress: contextlib is not loaded on the hook's fast path
        for close in (lambda: os.close(self._in), self._out.close):
            try:  # noqa: SIM105
                close()
            except OSError:
                pass
        try:  # noqa: SIM105
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
