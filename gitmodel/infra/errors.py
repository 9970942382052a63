"""gitmodel's one family of errors; each carries the exit code DESIGN.md documents."""

from __future__ import annotations


class ExitCode:
    """The exit codes DESIGN.md documents, as plain ints: importing enum costs the commit hook ~4 ms."""

    OK = 0
    REFUSED = 1
    INVALID_INPUT = 2
    EXTERNAL = 3
    INTERNAL = 4
    INTERRUPTED = 130


def printable(text: str, *, newlines: bool = False) -> str:
    """Text that came from data (tags, tagger names, manifests, metric keys) made safe for a terminal.

    The one sanitiser every renderer, the output module and the error funnel use: each control character
    (C0 and C1, so ESC and CSI start no escape sequence), each Unicode format or separator character (bidi
    overrides, zero-width joiners, line separators) is shown as its Python escape (`\\x1b`, `\\u202e`),
    never sent. `newlines=True` keeps line breaks and tabs of multi-line text (release notes, a card).
    """
    if text.isprintable():
        return text
    if newlines and "\n" in text:  # line by line: most lines take the isprintable() path above
        return "\n".join(printable(line, newlines=True) for line in text.split("\n"))
    if text.isascii():  # the common case (multi-line output): one regex pass instead of a loop per character
        import re

        keep = "\n\t" if newlines else ""
        return re.sub(r"[\x00-\x1f\x7f]", lambda m: m[0] if m[0] in keep else repr(m[0])[1:-1], text)
    return "".join(ch if ch.isprintable() or (newlines and ch in "\n\t") else repr(ch)[1:-1] for ch in text)


_printable = printable  # the name errors used before the sanitiser served every renderer


class GitmodelError(Exception):
    """Base error: `where` is a file (and field), `hint` the command or change that fixes it."""

    exit_code: int = ExitCode.INTERNAL

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
        return printable(f"error: {text}")

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
