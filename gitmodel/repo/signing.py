"""What a tag's signature proves, by git's own verification: `git verify-tag --raw` with the allowed-signers
file gitmodel chose (`-c gpg.ssh.allowedSignersFile=...`), never the user's own setting.

SSH signatures name their principal (the allowed-signers line that holds the key); GPG signatures their key
fingerprints (`VALIDSIG`), which roles may list. X.509 (gitsign, `gpgsm`) verifies in git but names no
principal gitmodel can map to a role: such a tag is reported as signed by an unknown key.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from gitmodel.model.records import Record
from gitmodel.repo import git

_SSH_GOOD = re.compile(r'Good "git" signature for (?P<who>\S+) with \S+ key (?P<key>\S+)')
_SSH_KEY = re.compile(r'signature with \S+ key (?P<key>SHA256:\S+)')
_VALIDSIG = re.compile(r"^\[GNUPG:\] VALIDSIG (?P<fpr>[0-9A-F]{16,64}) .* (?P<primary>[0-9A-F]{16,64})\s*$", re.M)


class Signature(Record, frozen=True):
    """The verdict on one tag object: `verified` (and by whom), `unsigned`, `unknown-key` or `bad`."""

    state: str
    principal: str | None = None     # the allowed-signers principal (SSH) or the primary key fingerprint (GPG)
    key: str | None = None           # the key as git reports it (SHA256:… or a GPG fingerprint)
    keys: tuple[str, ...] = ()       # every fingerprint a GPG signature names (subkey and primary)

    @property
    def verified(self) -> bool:
        return self.state == "verified"

    def who(self) -> str:
        """For a person reading a refusal or the audit: the principal, or what is wrong with the signature."""
        if self.verified:
            return self.principal or self.key or "?"
        if self.state == "unsigned":
            return "unsigned"
        if self.state == "unknown-key":
            return f"unknown key {self.key}" if self.key else "unknown key"
        return "bad signature"

    def identities(self) -> set[str]:
        """What a role member may be written as: the principal (lower case) and GPG fingerprints."""
        found = {self.principal.lower()} if self.principal else set()
        return found | {k.upper() for k in self.keys}


UNSIGNED = Signature("unsigned")


def parse_verdict(returncode: int, output: str) -> Signature:
    """git verify-tag's exit code and stderr (`--raw`) as a Signature."""
    good = _SSH_GOOD.search(output)
    if good and returncode == 0:
        return Signature("verified", good["who"], good["key"])
    gpg = _VALIDSIG.search(output)
    if gpg and returncode == 0:
        return Signature("verified", gpg["primary"].upper(), gpg["fpr"].upper(),
                         (gpg["fpr"].upper(), gpg["primary"].upper()))
    key = _SSH_KEY.search(output)
    if key or "No principal matched" in output or "allowedSignersFile" in output or "NO_PUBKEY" in output:
        return Signature("unknown-key", key=key["key"] if key else None)
    return Signature("bad")


class Verifier:
    """Verifies tag objects against one allowed-signers text; each object once per command."""

    def __init__(self, root: Path, signers: bytes | None) -> None:
        self.root = root
        self.signers = signers
        self._seen: dict[str, Signature] = {}
        self._file: str | None = None

    def verify(self, tag_object: str, signed: bool) -> Signature:
        if not signed or not tag_object:
            return UNSIGNED
        if tag_object not in self._seen:
            self._seen[tag_object] = self._run(tag_object)
        return self._seen[tag_object]

    def prefetch(self, tag_objects: list[str]) -> None:
        """Verify many signed tag objects at once: one `git verify-tag` each, a few in parallel (each
        process mostly waits on ssh-keygen), so `audit` over hundreds of signed events is not serial."""
        todo = [oid for oid in dict.fromkeys(tag_objects) if oid and oid not in self._seen]
        if len(todo) < 2:
            return
        from concurrent.futures import ThreadPoolExecutor

        self._run(todo[0])  # writes the signers file once, before the threads share it
        with ThreadPoolExecutor(max_workers=min(8, 2 * (os.cpu_count() or 1))) as pool:
            for oid, sig in zip(todo, pool.map(self._run, todo), strict=True):
                self._seen[oid] = sig

    def _run(self, tag_object: str) -> Signature:
        config = []
        if self.signers is not None:
            if self._file is None:
                fd, self._file = tempfile.mkstemp(prefix="gitmodel-signers-")
                with os.fdopen(fd, "wb") as handle:
                    handle.write(self.signers)
            config = ["-c", f"gpg.ssh.allowedSignersFile={self._file}"]
        else:  # no signers file: an SSH signature proves nobody (never the user's own list)
            config = ["-c", "gpg.ssh.allowedSignersFile=/nonexistent/gitmodel-no-signers"]
        result = git.run(self.root, *config, "verify-tag", "--raw", tag_object, check=False)
        return parse_verdict(result.returncode, result.stderr.decode("utf-8", "replace"))

    def close(self) -> None:
        if self._file is not None:
            Path(self._file).unlink(missing_ok=True)
            self._file = None

    def __enter__(self) -> Verifier:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
