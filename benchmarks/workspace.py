"""The benchmark's sandbox: an isolated HOME, the tools under test, and small helpers to drive them."""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from functools import cached_property
from importlib import metadata
from pathlib import Path

from benchmarks.harness import BenchError, Run, run_process

CHECKOUT = Path(__file__).resolve().parent.parent


@dataclass
class Workspace:
    """Everything a figure needs: where to build fixtures, the environment, and the commands."""

    root: Path
    _available: dict[str, str | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        home = self.root / "home"
        home.mkdir(exist_ok=True)
        (home / ".gitconfig").write_text(
            "[user]\n\tname = Bench User\n\temail = bench@example.com\n"
            "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n[tag]\n\tgpgsign = false\n"
            "[gc]\n\tauto = 0\n[advice]\n\tdetachedHead = false\n"
        )

    @cached_property
    def env(self) -> dict[str, str]:
        home = self.root / "home"
        bindir = str(Path(sys.executable).parent)
        path = os.environ.get("PATH", "")
        env = {
            "PATH": bindir + os.pathsep + path if bindir not in path.split(os.pathsep) else path,
            "HOME": str(home),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "LC_ALL": "C.UTF-8",
            "LANG": "C.UTF-8",
            "NO_COLOR": "1",
            "COLUMNS": "100",
            "TERM": "dumb",
            "DVC_NO_ANALYTICS": "1",
            "DVC_NO_UPDATER": "1",
            "DVC_SITE_CACHE_DIR": str(self.root / "dvc-site-cache"),
            "PRE_COMMIT_HOME": str(self.root / "pre-commit-home"),
            # The checkout under test, whatever is installed: `python -m gitmodel` and hooks import it.
            "PYTHONPATH": str(CHECKOUT),
            "PYTHONDONTWRITEBYTECODE": "0",
        }
        if "TMPDIR" in os.environ:
            env["TMPDIR"] = os.environ["TMPDIR"]
        return env

    # ------------------------------------------------------------------------------------ commands

    @property
    def gm(self) -> list[str]:
        return [sys.executable, "-m", "gitmodel"]

    def tool(self, name: str) -> str | None:
        """A peer's executable: next to this interpreter first (the venv), else on PATH."""
        beside = Path(sys.executable).parent / name
        if beside.exists():
            return str(beside)
        return shutil.which(name)

    def need_tool(self, name: str) -> str:
        found = self.tool(name)
        if not found:
            raise BenchError(f"{name} is not installed")
        return found

    def gitmodel_missing(self, *command: str) -> str | None:
        """None when `gitmodel COMMAND --help` works on this commit, else why the figure is skipped."""
        key = " ".join(command)
        if key not in self._available:
            proc = subprocess.run([*self.gm, *command, "--help"], cwd=self.root, env=self.env,
                                  capture_output=True, text=True)
            self._available[key] = None if proc.returncode == 0 else \
                f"`gitmodel {key}` does not exist on this commit"
        return self._available[key]

    def module_missing(self, module: str) -> str | None:
        proc = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=self.root, env=self.env,
                              capture_output=True, text=True)
        return None if proc.returncode == 0 else f"module {module} does not exist on this commit"

    def run(self, argv: list[str], cwd: Path, *, allowed: tuple[int, ...] = (0,),
            extra_env: dict[str, str] | None = None) -> Run:
        env = {**self.env, **(extra_env or {})}
        return run_process(argv, cwd=cwd, env=env, allowed=allowed)

    def sh(self, argv: list[str], cwd: Path, *, input: bytes | None = None,
           extra_env: dict[str, str] | None = None) -> str:
        """Run an untimed set-up command; its failure is a generator failure."""
        proc = subprocess.run(argv, cwd=cwd, env={**self.env, **(extra_env or {})}, input=input,
                              capture_output=True)
        if proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).decode("utf-8", "replace").strip().splitlines()
            raise BenchError(f"set-up `{' '.join(Path(a).name if i == 0 else a for i, a in enumerate(argv))}` "
                             f"failed: {detail[-1] if detail else proc.returncode}")
        return proc.stdout.decode("utf-8", "replace")

    def git(self, cwd: Path, *args: str, input: bytes | None = None) -> str:
        return self.sh(["git", *args], cwd, input=input)

    def fresh_dir(self, name: str) -> Path:
        path = self.root / name
        remove_tree(path)
        path.mkdir(parents=True)
        return path

    # ---------------------------------------------------------------------------------- machine line

    def machine_line(self) -> str:
        cpu = "unknown CPU"
        try:
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
        cores = os.cpu_count() or 0
        usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
        try:
            mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                       if line.startswith("MemTotal")) / 1024 / 1024
            memory = f"{mem:.0f} GiB RAM"
        except (OSError, StopIteration, ValueError):
            memory = "? RAM"
        versions = [f"gitmodel {self.gitmodel_version()}"]
        for dist in ("dvc", "gto", "pre-commit"):
            try:
                versions.append(f"{dist} {metadata.version(dist)}")
            except metadata.PackageNotFoundError:
                versions.append(f"{dist} not installed")
        git_version = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
        versions.append(git_version.replace("git version ", "git ") or "git ?")
        coreutils = subprocess.run(["sha256sum", "--version"], capture_output=True, text=True).stdout
        if coreutils:
            versions.append("sha256sum " + coreutils.splitlines()[0].split()[-1])
        return (f"{cpu}, {cores} cores ({usable} usable), {memory}, {platform.system()} {platform.release()}; "
                f"Python {platform.python_version()}; " + ", ".join(versions))

    def gitmodel_version(self) -> str:
        try:
            from gitmodel import __version__

            version = str(__version__)
        except ImportError:
            version = "?"
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=CHECKOUT, capture_output=True,
                                text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=CHECKOUT,
                               capture_output=True, text=True).stdout.strip()
        return f"{version} ({commit}{'+dirty' if dirty else ''})" if commit else version


def make_writable(path: Path) -> None:
    """DVC makes cache files read-only; rmtree needs the directories writable."""
    for dirpath, dirnames, _ in os.walk(path):
        for name in dirnames:
            with contextlib.suppress(OSError):
                os.chmod(os.path.join(dirpath, name), 0o755)


def remove_tree(path: Path) -> None:
    """Remove a directory DVC may have made read-only; nothing to do if it is absent."""
    if path.exists():
        make_writable(path)
        shutil.rmtree(path)


def drop_local_copies(root: Path, *files: str) -> None:
    """A cold start for a download figure: no DVC cache in `root`, none of `files` in its work tree."""
    remove_tree(root / ".dvc" / "cache")
    for rel in files:
        (root / rel).unlink(missing_ok=True)
