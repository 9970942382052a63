"""gitmodel/repo/spawn.py: git started without subprocess behaves as subprocess did — input of any size
written while output of any size is read (neither side waits on a full pipe), no input means git reads this
process's own stdin (as gpg's pinentry needs for `git tag -s`), SIGPIPE is git's default again, and a missing
directory is git's own error, not "git is not installed" (real git)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gitmodel.infra.errors import ExternalFailure
from gitmodel.repo import git as gitcmd


def test_large_input_and_output_cross_without_waiting(repo: Path) -> None:
    blobs = [os.urandom(50_000) for _ in range(40)]  # 2 MB in, 2 MB out: far past a pipe's 64 KiB
    oids: list[str] = []
    for blob in blobs:
        proc = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=repo, input=blob, capture_output=True,
                              check=True)
        oids.append(proc.stdout.decode().strip())
    result = gitcmd.run(repo, "cat-file", "--batch", input=("\n".join(oids) + "\n").encode())
    assert result.returncode == 0
    assert len(result.stdout) > sum(len(b) for b in blobs)
    assert all(blob in result.stdout for blob in blobs)


def test_no_input_leaves_git_this_process_stdin(repo: Path) -> None:
    probe = ("import sys\nfrom gitmodel.repo import git\n"
             "print(git.run(sys.argv[1], 'hash-object', '--stdin').text.strip())")
    proc = subprocess.run([sys.executable, "-c", probe, str(repo)], input=b"read from the terminal\n",
                          capture_output=True, check=True)
    expected = subprocess.run(["git", "hash-object", "--stdin"], input=b"read from the terminal\n",
                              capture_output=True, check=True).stdout
    assert proc.stdout.strip() == expected.strip()


def test_git_gets_sigpipe_back_and_a_missing_directory_is_git_s_error(repo: Path, tmp_path: Path) -> None:
    """Python ignores SIGPIPE and SIGXFSZ, and an ignored signal stays ignored across exec: git (and what it
    runs) gets their default back, as subprocess gives it (a write past the file size limit kills it rather
    than failing with EFBIG unnoticed; a reader that stops early ends it)."""
    import signal

    shown = gitcmd.run(repo, "-c", "alias.sigs=!grep SigIgn /proc/self/status", "sigs").text
    ignored = int(shown.split()[-1], 16)
    for sig in (signal.SIGPIPE, signal.SIGXFSZ):
        assert not ignored & (1 << (sig - 1)), sig
    missing = gitcmd.run(tmp_path / "no-such-directory", "status", check=False)
    assert missing.returncode != 0
    assert b"no-such-directory" in missing.stderr


def test_a_started_git_runs_until_waited_for_and_gives_what_run_gives(repo: Path) -> None:
    """`git.start`: git left running (the commit hook's staged diff) says whether it is still at work, and its
    result is the one `run` gives, once, however often it is waited for."""
    data = b"written only when waited for\n"
    later = gitcmd.start(repo, "hash-object", "--stdin", input=data)  # git waits on its stdin meanwhile
    assert later.running()
    result = later.wait()
    assert not later.running()
    assert result == gitcmd.run(repo, "hash-object", "--stdin", input=data)
    assert later.wait() is result
    done = gitcmd.start(repo, "rev-parse", "--git-dir")
    done.wait()
    assert not done.running()
    failing = gitcmd.start(repo, "rev-parse", "--verify", "no-such-ref")
    assert failing.wait(check=False).returncode != 0
    with pytest.raises(ExternalFailure, match="rev-parse"):  # the failure `run` raises
        failing.wait()
