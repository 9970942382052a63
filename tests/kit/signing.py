"""People with real SSH signing keys (ssh-keygen in a temp dir) and a governed repo's config and signers file;
the `team` fixture (loaded by tests/conftest.py's `pytest_plugins`)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kit.git import commit_all, git
from tests.kit.tools import need_tool

SIGNERS = ".gitmodel/allowed_signers"
# alice and bob are ml-leads, lee is legal; prod needs an ml-lead who did not release, every event signed
GOVERNED = ("stages: [dev, prod]\nsigners: .gitmodel/allowed_signers\n"
            "roles: {ml-lead: [alice@example.com, bob@example.com], legal: [lee@example.com]}\n"
            "approvals: {prod: {roles: [ml-lead], distinct: true, count: 1}}\nrequire_signatures: true\n")


class Person:
    """A name, an e-mail and an ed25519 key; `act(repo)` makes git in `repo` tag and sign as them."""

    def __init__(self, keys: Path, name: str) -> None:
        self.name, self.email = name, f"{name}@example.com"
        self.key = keys / name
        if not self.key.exists():
            keys.mkdir(parents=True, exist_ok=True)
            subprocess.run([need_tool("ssh-keygen"), "-q", "-t", "ed25519", "-N", "", "-C", self.email, "-f",
                            str(self.key)], check=True)

    @property
    def signer_line(self) -> str:
        """This person's line in git's allowed-signers format."""
        return f'{self.email} namespaces="git" {self.key.with_suffix(".pub").read_text().strip()}'

    def act(self, repo: Path) -> None:
        git(repo, "config", "user.name", self.name.title())
        git(repo, "config", "user.email", self.email)
        git(repo, "config", "gpg.format", "ssh")
        git(repo, "config", "user.signingkey", str(self.key))


def write_signers(repo: Path, *people: Person) -> None:
    path = repo / SIGNERS
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(p.signer_line + "\n" for p in people))


class Team:
    """alice, bob (ml-lead), lee (legal), mallory (a known key, no role) and a stranger (no known key)."""

    def __init__(self, keys: Path) -> None:
        self.alice, self.bob = Person(keys, "alice"), Person(keys, "bob")
        self.lee, self.mallory = Person(keys, "lee"), Person(keys, "mallory")
        self.stranger = Person(keys, "stranger")


@pytest.fixture
def team(tmp_path: Path) -> Team:
    """alice, bob and lee with their own keys under the test's temp dir."""
    return Team(tmp_path / "keys")


def governed_model(repo: Path, team: Team, config: str = GOVERNED) -> Path:
    """sentiment 0.1.0 under `config`, the team's keys (not the stranger's) committed, released by bob (signed)."""
    from gitmodel.registry.releases import tag_release
    from tests.kit.repos import make_model

    make_model(repo, config=config)
    write_signers(repo, team.alice, team.bob, team.lee, team.mallory)
    commit_all(repo, "governance: roles and keys")
    team.bob.act(repo)
    tag_release(repo, "sentiment")
    return repo


@contextlib.contextmanager
def gnupg_home() -> Iterator[Path]:
    """A new, empty GnuPG home for a test, stopped and removed after it. Made directly under /tmp: gpg-agent puts
    its socket in the home, and a socket path over ~107 bytes (a pytest tmp_path under CI's own TMPDIR) cannot
    be created — key generation then fails with "No agent running"."""
    home = Path(tempfile.mkdtemp(prefix="gm-gpg-", dir="/tmp" if os.path.isdir("/tmp") else None))
    try:
        yield home
    finally:
        gpgconf = shutil.which("gpgconf")  # gnupg's own: stops the agent this home started
        if gpgconf:
            subprocess.run([gpgconf, "--homedir", str(home), "--kill", "gpg-agent"], capture_output=True, check=False)
        shutil.rmtree(home, ignore_errors=True)
