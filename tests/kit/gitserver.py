"""A real git server on 127.0.0.1 (`git daemon`), serving bare repositories over git://, for the tests of
reading a registry without a clone."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kit.git import git
from tests.kit.tools import need_tool


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_bare(source: Path, base: Path, name: str = "models.git") -> Path:
    """A bare copy of `source` at `base/name`, configured as a real host serves one (partial clone on), and
    added to `source` as its `origin` so `git push origin --tags` publishes to it."""
    bare = base / name
    subprocess.run(["git", "clone", "-q", "--bare", str(source), str(bare)], check=True, capture_output=True)
    git(bare, "config", "uploadpack.allowFilter", "true")
    if git(source, "remote", check=False).stdout.strip():
        git(source, "remote", "remove", "origin", check=False)
    git(source, "remote", "add", "origin", str(bare))
    return bare


class GitDaemon:
    """`git daemon` serving every repository under `base`; `url(name)` is its git:// URL."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    def url(self, name: str = "models.git") -> str:
        return f"git://127.0.0.1:{self.port}/{name}"

    def start(self, timeout: float = 20.0) -> None:
        need_tool("git")
        self.port = free_port()
        self.proc = subprocess.Popen(
            ["git", "daemon", "--export-all", "--reuseaddr", f"--base-path={self.base}", "--listen=127.0.0.1",
             f"--port={self.port}", "--enable=upload-pack", str(self.base)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                pytest.fail(f"git daemon exited: {err}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return
            time.sleep(0.05)
        self.stop()
        pytest.fail(f"git daemon did not listen on 127.0.0.1:{self.port} within {timeout} s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc is not None and self.proc.stderr:
            self.proc.stderr.close()


@contextlib.contextmanager
def git_daemon(base: Path) -> Iterator[GitDaemon]:
    daemon = GitDaemon(base)
    daemon.start()
    try:
        yield daemon
    finally:
        daemon.stop()


def served_model_source(repo: Path, tmp_path: Path) -> Path:
    """sentiment v0.1.0 (in prod) and v0.2.0, their DVC objects pushed to `tmp_path/dvc-remote`, which the
    committed `.dvc/config` names; a bare copy served from `tmp_path/served/models.git` is its `origin`."""
    from gitmodel.storage.transfer import push
    from tests.kit.dvc import make_model_repo, second_version

    root = make_model_repo(repo, remote=str(tmp_path / "dvc-remote"))
    second_version(root)
    push(root, all_releases=True)
    prod = git(root, "rev-parse", "sentiment@v0.1.0^{commit}").stdout.strip()
    git(root, "tag", "-a", "sentiment#prod#1", "-m", "to prod", prod)
    serve_bare(root, tmp_path / "served")
    return root


@pytest.fixture
def source(repo: Path, tmp_path: Path) -> Path:
    """The model repository `served` serves (`served_model_source`): promote or tag in it, then read remotely."""
    return served_model_source(repo, tmp_path)


@pytest.fixture
def served(source: Path, tmp_path: Path) -> Iterator[GitDaemon]:
    """`git daemon` on 127.0.0.1 serving `source`'s bare copy (tmp_path/served/models.git)."""
    with git_daemon(tmp_path / "served") as daemon:
        yield daemon
