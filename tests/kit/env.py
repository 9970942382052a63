"""The isolated environment every git and gitmodel the suite runs sees (house style: Tests)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
VENV_BIN = Path(sys.executable).parent
GITCONFIG = ("[user]\n\tname = Test User\n\temail = test@example.com\n"
             "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n[tag]\n\tgpgsign = false\n")
_OUTER_PYTHONPATH = os.environ.get("PYTHONPATH", "")
_OUTER_PATH = os.environ.get("PATH", os.defpath)


def isolate(mp: pytest.MonkeyPatch, home: Path) -> Path:
    """HOME with a .gitconfig, no system git config, pinned terminal and locale, this checkout importable."""
    (home / ".gitconfig").write_text(GITCONFIG)
    mp.setenv("HOME", str(home))
    mp.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    mp.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    mp.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
    mp.setenv("COLUMNS", "100")
    mp.setenv("NO_COLOR", "1")
    mp.setenv("LC_ALL", "C.UTF-8")
    mp.setenv("DVC_NO_ANALYTICS", "1")
    mp.setenv("DVC_NO_UPDATER", "1")
    for var in ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE", "GITMODEL_TRACEBACK", "GIT_AUTHOR_DATE",
                "GIT_COMMITTER_DATE"):
        mp.delenv(var, raising=False)
    # Subprocesses (`python -m gitmodel`, git hooks) import this checkout's package.
    # No empty entry: Python reads one as the working directory, a repository's own files first on the path.
    mp.setenv("PYTHONPATH", os.pathsep.join(p for p in [str(REPO_ROOT), *_OUTER_PYTHONPATH.split(os.pathsep)] if p))
    # Peer tools the test extra installs (gto, pre-commit, ...) sit beside the interpreter running the
    # tests, whether or not that venv is activated.
    mp.setenv("PATH", str(VENV_BIN) + os.pathsep + _OUTER_PATH)
    return home


def home_env(home: Path) -> dict[str, str]:
    """The same isolation as an explicit environment for subprocesses (module-scoped trials that pass
    `env=` to every command): os.environ without GIT_* variables, HOME at `home`."""
    home.mkdir(parents=True, exist_ok=True)
    (home / ".gitconfig").write_text(GITCONFIG)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"HOME": str(home), "XDG_DATA_HOME": str(home / "data"), "XDG_CACHE_HOME": str(home / "cache"),
                "GIT_CONFIG_NOSYSTEM": "1", "DVC_NO_ANALYTICS": "1", "DVC_NO_UPDATER": "1",
                "PYTHONPATH": str(REPO_ROOT)})
    return env
