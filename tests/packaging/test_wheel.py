"""The wheel carries hooks/ and templates/, and `gitmodel init` works from it outside the source tree."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.kit.env import REPO_ROOT

pytestmark = pytest.mark.slow


def _can_build_here() -> bool:
    from importlib.metadata import PackageNotFoundError, version

    try:
        setuptools_major = int(version("setuptools").split(".")[0])
        version("wheel")
    except (PackageNotFoundError, ValueError):
        return False
    return setuptools_major >= 68


def _build_wheel(tmp: Path) -> Path:
    """Build from a copy of the sources, so the checkout gets no build/ or egg-info litter."""
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in"):
        if (REPO_ROOT / name).exists():
            shutil.copy2(REPO_ROOT / name, src / name)
    if not (src / "README.md").exists():
        (src / "README.md").write_text("gitmodel\n")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("gitmodel", "hooks", "templates"):
        if (REPO_ROOT / name).is_dir():
            shutil.copytree(REPO_ROOT / name, src / name, ignore=ignore)
        else:
            (src / name).mkdir()
    out = tmp / "dist"
    # --no-isolation when this environment can build (no network needed); else build's own isolated env
    isolation = ["--no-isolation"] if _can_build_here() else []
    proc = subprocess.run([sys.executable, "-m", "build", "--wheel", *isolation, "--outdir", str(out), str(src)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    (wheel,) = out.glob("gitmodel-*.whl")
    return wheel


def _fresh_venv(tmp: Path) -> Path:
    """A new venv whose only extra path is the test run's site-packages (the dependencies), not the checkout."""
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    # A path listed in a .pth is added without running that directory's own .pth files, so an editable
    # install of gitmodel in the test run's environment does not leak into this venv.
    Path(site, "_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    return venv


def test_wheel_ships_templates_hooks_and_schemas_and_init_works_from_it(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("gitmodel/_templates/gitmodel.yaml", "gitmodel/model/schemas/manifest.v1.json",
                     "gitmodel/model/schemas/config.v1.json", "gitmodel/cli/__init__.py"):
        assert required in names, required
    for directory, packaged in (("hooks", "_hooks"), ("templates", "_templates")):
        base = REPO_ROOT / directory
        if base.is_dir():
            for path in base.iterdir():
                if path.is_file():
                    assert f"gitmodel/{packaged}/{path.name}" in names, path.name

    venv = _fresh_venv(tmp_path)
    # --ignore-installed: the dependency path may hold an editable gitmodel (make test's .venv); pip must
    # neither skip the wheel as "already satisfied" nor uninstall that one
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
                              "-q", "--no-deps", "--no-index", "--ignore-installed", str(wheel)], capture_output=True, text=True)
    assert install.returncode == 0, install.stderr

    repo = tmp_path / "elsewhere"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "import gitmodel, gitmodel.infra.resources as r; print(gitmodel.__file__); "
                            "print(r.templates_dir()); print(r.hooks_dir())"],
                           cwd=repo, env=env, capture_output=True, text=True, check=True).stdout.split()
    assert all(Path(p).is_relative_to(venv) for p in where), where
    assert not any(Path(p).is_relative_to(REPO_ROOT) for p in where)

    init = subprocess.run([str(venv / "bin" / "gitmodel"), "init"], cwd=repo, env=env, capture_output=True,
                          text=True)
    assert init.returncode == 0, init.stderr
    assert (repo / ".gitmodel.yaml").read_text() == (REPO_ROOT / "templates" / "gitmodel.yaml").read_text()
    assert (repo / ".dvc").is_dir()
    assert "created .gitmodel.yaml" in init.stdout
