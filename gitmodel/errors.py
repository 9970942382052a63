"""gitmodel's one family of errors; each carries the exit code DESIGN.md documents."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    REFUSED = 1
    INVALID_INPUT = 2
    EXTERNAL = 3
    INTERNAL = 4
    INTERRUPTED = 130


def _printable(text: str) -> str:
    """A file or field name from user input, with line breaks and other control characters escaped."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


class GitmodelError(Exception):
    """Base error: `where` is a file (and field), `hint` the command or change that fixes it."""

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint

    def line(self) -> str:
        """The one line printed on stderr: `error: <file>: <field>: <what> — <how to fix>`."""
        text = " ".join(self.message.split())
        if self.where:
            text = f"{_printable(self.where)}: {text}"
        if self.hint:
            text = f"{text} — {' '.join(self.hint.split())}"
        return f"error: {text}"

    def __str__(self) -> str:
        return self.line()[len("error: ") :]


class Refused(GitmodelError):
    """A rule refused the operation (check violation, release exists, gate failed, integrity mismatch)."""

    exit_code = ExitCode.REFUSED


class InvalidInput(GitmodelError):
    """Bad YAML, schema error, bad name/version/path, missing file, not a git repo, bad usage."""

    exit_code = ExitCode.INVALID_INPUT


class ExternalFailure(GitmodelError):
    """git, DVC or a remote failed."""

    exit_code = ExitCode.EXTERNAL
