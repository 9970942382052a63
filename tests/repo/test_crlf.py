"""Line endings (issue 14 item 12): a git-stored file's sha256 is the blob git stores (after its clean
filters and end-of-line conversion), in add, bump, check (every mode) and verify — with real git under
`core.autocrlf=true` and under `eol=crlf` in .gitattributes."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitmodel.workspace.init_repo import init_repo
from tests.kit.cli import gm
from tests.kit.git import commit, git

PROMPT = "prompts/system.txt"


@pytest.fixture(params=["autocrlf", "eol-crlf"])
def crlf_repo(request: pytest.FixtureRequest, repo: Path) -> Path:
    if request.param == "autocrlf":
        git(repo, "config", "core.autocrlf", "true")
    else:
        (repo / ".gitattributes").write_text("*.txt text eol=crlf\n*.lock text eol=crlf\n")
        git(repo, "add", ".gitattributes")
        git(repo, "commit", "-q", "-m", "attributes")
    init_repo(repo, dvc=False)  # hooks installed
    git(repo, "commit", "-q", "-m", "init")
    (repo / "prompts").mkdir()
    (repo / "artifacts").mkdir()
    # what a Windows editor writes, and what git writes into the work tree for these settings
    (repo / PROMPT).write_bytes(b"You label tickets.\r\nBe brief.\r\n")
    (repo / "artifacts" / "w.bin").write_bytes(b"\x00binary weights\r\n\x01")
    (repo / "requirements.lock").write_bytes(b"numpy==2.0\r\n")
    (repo / "params.txt").write_bytes(b"lr=0.1\r\n")
    return repo


def test_add_commit_change_bump_commit_under_crlf(crlf_repo: Path) -> None:
    repo = crlf_repo
    added = gm(repo, "add", "demo", "--weights", "artifacts/w.bin", "--git", "artifacts/w.bin",
               "--prompt", PROMPT, "--params", "params.txt")
    assert added.returncode == 0, added.stderr
    captured = gm(repo, "env", "capture", "demo", "--lock", "requirements.lock")
    assert captured.returncode == 0, captured.stderr
    git(repo, "add", "-A")
    first = commit(repo, "add demo")
    assert first.returncode == 0, first.stderr
    git(repo, "tag", "-a", "demo@v0.1.0", "-m", "release")
    # the recorded hash is the stored (LF) blob's, not the CRLF working file's
    blob = git(repo, "cat-file", "blob", f"HEAD:{PROMPT}").stdout.encode()
    assert b"\r" not in blob
    import hashlib

    assert f"sha256: {hashlib.sha256(blob).hexdigest()}" in (repo / "models" / "demo.yaml").read_text()
    assert gm(repo, "check").returncode == 0
    assert gm(repo, "check", "--staged").returncode == 0
    assert gm(repo, "verify", "demo").returncode == 0

    # a fresh checkout writes CRLF back: still the same file for every mode
    (repo / PROMPT).unlink()
    git(repo, "checkout", "--", PROMPT)
    assert b"\r\n" in (repo / PROMPT).read_bytes()
    assert gm(repo, "verify", "demo").returncode == 0
    assert gm(repo, "check").returncode == 0

    # an unbumped change is still refused
    (repo / PROMPT).write_bytes(b"You label tickets.\r\nBe very brief.\r\n")
    git(repo, "add", PROMPT)
    refused = commit(repo, "reword")
    assert refused.returncode == 1, refused.stderr
    assert "demo: prompts/system.txt: prompts changed" in refused.stderr
    assert gm(repo, "check").returncode == 1

    bumped = gm(repo, "bump", "demo")
    assert bumped.returncode == 0, bumped.stderr
    assert "0.1.0 → 0.2.0" in bumped.stdout
    done = commit(repo, "reword", "-a")
    assert done.returncode == 0, done.stderr
    git(repo, "branch", "base", "HEAD~1")
    assert gm(repo, "check", "--base", "base").returncode == 0
    assert gm(repo, "verify", "demo").returncode == 0
    # nothing left to bump: bump is idempotent under conversion too
    again = gm(repo, "bump", "demo")
    assert again.returncode == 0
    assert git(repo, "status", "--porcelain", "models").stdout == ""


def test_a_crlf_only_edit_is_no_change(crlf_repo: Path) -> None:
    """Turning LF into CRLF in the work tree changes no stored byte: no violation, nothing to bump."""
    repo = crlf_repo
    assert gm(repo, "add", "demo", "--weights", "artifacts/w.bin", "--git", "artifacts/w.bin",
              "--prompt", PROMPT).returncode == 0
    assert commit(repo, "add demo").returncode == 0
    (repo / PROMPT).write_bytes(b"You label tickets.\nBe brief.\n")
    assert gm(repo, "check").returncode == 0
    assert gm(repo, "verify", "demo").returncode == 0


def test_a_git_stored_data_directory_under_crlf(crlf_repo: Path) -> None:
    """A directory's sha256 is over its files' stored sha256s: add, commit, verify, check agree."""
    repo = crlf_repo
    (repo / "data").mkdir()
    (repo / "data" / "a.txt").write_bytes(b"text,label\r\ngood,pos\r\n")
    (repo / "data" / "b.txt").write_bytes(b"text,label\r\nbad,neg\r\n")
    added = gm(repo, "add", "demo", "--weights", "artifacts/w.bin", "--git", "artifacts/w.bin",
               "--data", "data", "--git", "data")
    assert added.returncode == 0, added.stderr
    first = commit(repo, "add demo")
    assert first.returncode == 0, first.stderr
    assert gm(repo, "check").returncode == 0
    assert gm(repo, "verify", "demo").returncode == 0
    (repo / "data" / "b.txt").write_bytes(b"text,label\r\nbad,pos\r\n")
    git(repo, "add", "data")
    refused = commit(repo, "relabel")
    assert refused.returncode == 1, refused.stderr
    assert "demo: data: data changed" in refused.stderr
    assert gm(repo, "bump", "demo").returncode == 0
    done = commit(repo, "relabel", "-a")
    assert done.returncode == 0, done.stderr
    assert gm(repo, "verify", "demo").returncode == 0
