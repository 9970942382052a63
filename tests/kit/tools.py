"""The peer tools the suite drives, and how to install the ones that are missing (the suite never skips)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# Install commands for the tools tests drive, by a word a skip reason names.
INSTALL = {
    "git-lfs": "run `make test` as root (scripts/ensure-test-tools.sh installs it), or `apt-get install git-lfs`",
    "ssh-keygen": "run `make test` as root (scripts/ensure-test-tools.sh installs it), or "
                  "`apt-get install openssh-client`",
    "gpg": "run `make test` as root (scripts/ensure-test-tools.sh installs it), or `apt-get install gnupg`",
    "sha256sum": "`apt-get install coreutils`",
    "azurite": "`sh scripts/ensure-test-tools.sh` (npm installs it into .test-tools/node; needs node and npm)",
    "chromium": "run `make test` as root (scripts/ensure-test-tools.sh installs it), or `apt-get install chromium`",
}
PIP_INSTALL = "`pip install -e '.[test]'` (or `make test`, which builds .venv with it)"
# the gto installed beside this interpreter (the project's `test` extra), never a machine-specific path
GTO = Path(sys.executable).parent / "gto"
GTO_INSTALL = f"{sys.executable} -m pip install 'gto>=1.10,<2'  (or: pip install -e '.[test]')"


def install_hint(text: str) -> str:
    for word, how in INSTALL.items():
        if word in text:
            return how
    return PIP_INSTALL


def need_tool(name: str) -> str:
    """The path of an executable a test drives; fails (never skips) with the install command when absent."""
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: {install_hint(name)}", pytrace=False)
    return found


def gto(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the real GTO CLI; a missing gto fails the test with the command that installs it."""
    if not GTO.exists():
        pytest.fail(f"gto is not installed beside {sys.executable}: {GTO_INSTALL}")
    return subprocess.run([str(GTO), *args], cwd=root, text=True, capture_output=True,
                          env={**os.environ, "GTO_NO_EMOJI": "1"})


def bare_venv_python(folder: Path) -> Path:
    """A second interpreter: a fresh venv without pip in `folder`/bare, so none of this env's packages."""
    venv = folder / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    return venv / "bin" / "python"
