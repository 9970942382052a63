"""Environment capture and drift (gitmodel/context/env.py)."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gitmodel.context import env
from gitmodel.context.env import (
    EnvMismatch,
    capture_environment,
    check_environment,
    discover_accelerators,
    lock_kind,
    probe_interpreter,
)
from gitmodel.infra.errors import ExitCode, ExternalFailure, InvalidInput


@pytest.fixture
def captured(tmp_path: Path) -> dict[str, object]:
    return capture_environment(lock=None, extra_packages=["PyYAML", "jsonschema"], root=tmp_path)


def installed_defaults() -> dict[str, str]:
    """The default ML packages this interpreter has (the test extra installs numpy, pandas, scikit-learn)."""
    found = {}
    for name in env.DEFAULT_PACKAGES:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found[name] = importlib.metadata.version(name)
    return found


# --- capture --------------------------------------------------------------------------------------------

def test_capture_records_this_interpreter(captured: dict[str, object]) -> None:
    assert captured["python"] == platform.python_version()
    assert captured["implementation"] == platform.python_implementation()
    assert re.fullmatch(r"[a-z0-9.]+-[a-z0-9_]+", str(captured["platform"]))
    if sys.platform == "linux" and platform.machine() == "x86_64":
        assert captured["platform"] == "linux-x86_64"
    assert captured["packages"] == {**installed_defaults(), "pyyaml": importlib.metadata.version("PyYAML"),
                                    "jsonschema": importlib.metadata.version("jsonschema")}
    assert "lock" not in captured
    json.dumps(captured)  # goes into YAML as plain data


def fake_distribution(site: Path, dirname: str, name: str, version: str) -> None:
    """A minimal installed distribution: a `.dist-info` directory with METADATA, no code."""
    info = site / dirname
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")


def test_capture_records_installed_default_packages_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    real = installed_defaults()
    site = tmp_path / "site"
    fake_distribution(site, "numpy-1.26.4.dist-info", "numpy", "1.26.4")
    fake_distribution(site, "scikit_learn-1.5.0.dist-info", "scikit-learn", "1.5.0")
    fake_distribution(site, "Torch-2.3.0+cu121.dist-info", "torch", "2.3.0+cu121")
    fake_distribution(site, "odd-name-0.1.dist-info", "Odd.Name", "0.1")  # legacy dir name: read METADATA
    monkeypatch.syspath_prepend(str(site))
    captured = capture_environment(lock=None, extra_packages=["odd_name"], root=tmp_path)
    assert captured["packages"] == {**real, "numpy": "1.26.4", "scikit-learn": "1.5.0", "torch": "2.3.0+cu121",
                                    "odd-name": "0.1"}


def test_capture_does_not_import_packages(tmp_path: Path) -> None:
    code = ("import sys; from pathlib import Path; from gitmodel.context.env import capture_environment; "
            "capture_environment(lock=None, extra_packages=['pyyaml', 'jsonschema'], root=Path('.')); "
            "print(sorted(m for m in ('yaml', 'jsonschema') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("names", [["surely-not-installed-pkg"], ["pyyaml", "surely-not-installed-pkg"]])
def test_capture_unknown_package_is_invalid_input(tmp_path: Path, names: list[str]) -> None:
    with pytest.raises(InvalidInput) as info:
        capture_environment(lock=None, extra_packages=names, root=tmp_path)
    assert info.value.where == "--package"
    assert "surely-not-installed-pkg" in info.value.message
    assert info.value.exit_code == ExitCode.INVALID_INPUT


def test_capture_bad_package_name_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="not a distribution name"):
        capture_environment(lock=None, extra_packages=["numpy>=1"], root=tmp_path)


# --- lock files -----------------------------------------------------------------------------------------

def test_lock_records_relative_path_sha256_and_kind(tmp_path: Path) -> None:
    (tmp_path / "env").mkdir()
    lock = tmp_path / "env" / "requirements.txt"
    lock.write_bytes(b"pyyaml==6.0.3\n" * 1000)
    for given in (Path("env/requirements.txt"), lock):
        captured = capture_environment(lock=given, extra_packages=[], root=tmp_path)
        assert captured["lock"] == {"path": "env/requirements.txt",
                                    "sha256": hashlib.sha256(lock.read_bytes()).hexdigest(), "kind": "pip"}


@pytest.mark.parametrize(("name", "kind"), [
    ("requirements.txt", "pip"), ("requirements-dev.txt", "pip"), ("uv.lock", "uv"), ("poetry.lock", "poetry"),
    ("environment.yml", "conda"), ("environment.yaml", "conda"), ("conda-lock.yml", "conda"),
    ("conda-linux-64.lock", "conda"), ("Pipfile.lock", "other"),
])
def test_lock_kind(name: str, kind: str) -> None:
    assert lock_kind(name) == kind


def test_lock_outside_root_is_invalid_input(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    outside = tmp_path / "requirements.txt"
    outside.write_text("x==1\n")
    (root / "link.txt").symlink_to(outside)
    for given in (Path("../requirements.txt"), outside, Path("link.txt")):
        with pytest.raises(InvalidInput, match="outside the repository") as info:
            capture_environment(lock=given, extra_packages=[], root=root)
        assert info.value.where == str(given)


def test_missing_lock_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="not found") as info:
        capture_environment(lock=Path("uv.lock"), extra_packages=[], root=tmp_path)
    assert info.value.where == "uv.lock"


# --- accelerators and platform --------------------------------------------------------------------------

def test_accelerators_from_files(tmp_path: Path) -> None:
    (tmp_path / "proc/driver/nvidia").mkdir(parents=True)
    (tmp_path / "proc/driver/nvidia/version").write_text(
        "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 01:15:15 UTC 2023\n"
        "GCC version:  gcc version 12.2.0\n")
    (tmp_path / "usr/local/cuda").mkdir(parents=True)
    (tmp_path / "usr/local/cuda/version.json").write_text(json.dumps({"cuda": {"version": "12.2.140"}}))
    (tmp_path / "usr/include/x86_64-linux-gnu").mkdir(parents=True)
    (tmp_path / "usr/include/x86_64-linux-gnu/cudnn_version_v8.h").write_text(
        "#define CUDNN_MAJOR 8\n#define CUDNN_MINOR 9\n#define CUDNN_PATCHLEVEL 2\n")
    assert discover_accelerators(fs_root=tmp_path, environ={}) == {
        "nvidia_driver": "535.104.05", "cuda": "12.2.140", "cudnn": "8.9.2"}


def test_accelerators_cuda_env_and_version_txt(tmp_path: Path) -> None:
    (tmp_path / "usr/local/cuda").mkdir(parents=True)
    (tmp_path / "usr/local/cuda/version.txt").write_text("CUDA Version 10.2.89\n")
    assert discover_accelerators(fs_root=tmp_path, environ={}) == {"cuda": "10.2.89"}
    assert discover_accelerators(fs_root=tmp_path, environ={"CUDA_VERSION": "12.4.1"}) == {"cuda": "12.4.1"}
    assert discover_accelerators(fs_root=tmp_path / "empty", environ={}) == {}


@pytest.mark.parametrize(("raw", "machine", "expected"), [
    ("linux-x86_64", "x86_64", "linux-x86_64"), ("linux-aarch64", "aarch64", "linux-aarch64"),
    ("macosx-11.0-arm64", "arm64", "macosx-arm64"), ("win-amd64", "AMD64", "win-amd64"),
    ("win32", "x86", "win-x86"), ("mingw_x86_64", "x86_64", "mingw-x86_64"),
    ("freebsd-13.2-RELEASE-amd64", "amd64", "freebsd-amd64"),
])
def test_platform_is_os_and_machine(raw: str, machine: str, expected: str) -> None:
    assert env._normalise_platform(raw, machine) == expected


# --- probing another interpreter ------------------------------------------------------------------------

def test_probe_in_process_and_subprocess_agree() -> None:
    names = ["PyYAML", "jsonschema", "hypothesis", "surely-not-installed-pkg"]
    here = probe_interpreter(None, names)
    assert here == probe_interpreter(sys.executable, names)
    assert set(here["packages"]) == {"pyyaml", "jsonschema", "hypothesis"}


def test_probe_without_names_lists_everything_installed() -> None:
    everything = probe_interpreter(None, [])["packages"]
    assert {"pyyaml", "jsonschema", "pytest"} <= set(everything)
    assert everything["pyyaml"] == importlib.metadata.version("PyYAML")


def test_probe_bad_interpreters_are_invalid_input(tmp_path: Path) -> None:
    not_executable = tmp_path / "python"
    not_executable.write_text("")
    liar = tmp_path / "liar"
    liar.write_text("#!/bin/sh\necho 'Python 3.11.7'\n")
    liar.chmod(0o755)
    failing = tmp_path / "failing"
    failing.write_text("#!/bin/sh\necho boom >&2\nexit 7\n")
    failing.chmod(0o755)
    for python, what in [(tmp_path / "missing", "not an executable"), (not_executable, "not an executable"),
                         (liar, "unreadable output"), (failing, "exit 7"), ("no-such-python-here", "not found")]:
        with pytest.raises(InvalidInput, match=what) as info:
            probe_interpreter(python, [])
        assert info.value.where == "--python"


def test_probe_timeout_is_external_failure(tmp_path: Path) -> None:
    slow = tmp_path / "slow"
    slow.write_text("#!/bin/sh\nexec sleep 30\n")
    slow.chmod(0o755)
    with pytest.raises(ExternalFailure, match="did not answer") as info:
        probe_interpreter(slow, [], timeout=0.5)
    assert info.value.exit_code == ExitCode.EXTERNAL


# --- check ----------------------------------------------------------------------------------------------

def test_check_in_the_same_interpreter_is_ok(captured: dict[str, object]) -> None:
    report = check_environment(captured)
    assert report.ok
    assert report.mismatches == []
    assert report.to_json()["ok"] is True


def test_edited_package_version_fails_naming_both_versions(captured: dict[str, object]) -> None:
    recorded = {**captured, "packages": {**captured["packages"], "pyyaml": "5.1"}}  # type: ignore[dict-item]
    report = check_environment(recorded)
    assert not report.ok
    assert report.mismatches == [
        EnvMismatch("package", "pyyaml", "5.1", importlib.metadata.version("PyYAML"), "error")]
    assert json.loads(json.dumps(report.to_json()))["mismatches"][0] == {
        "kind": "package", "name": "pyyaml", "recorded": "5.1", "found": importlib.metadata.version("PyYAML"),
        "severity": "error"}


def test_recorded_package_that_is_missing_is_found_none(captured: dict[str, object]) -> None:
    recorded = {**captured, "packages": {"surely-not-installed-pkg": "1.0", "PyYAML": 6.0}}
    report = check_environment(recorded)
    assert not report.ok
    # YAML turns a hand-typed 6.0 into a float; it is compared as the text "6.0".
    assert {(m.name, m.recorded, m.found) for m in report.mismatches} == {
        ("surely-not-installed-pkg", "1.0", None),
        ("PyYAML", "6.0", importlib.metadata.version("PyYAML")),
    }
    assert report.found["packages"]["surely-not-installed-pkg"] is None


@pytest.mark.parametrize(("field", "value", "severity"), [
    ("python", "3.11.0", "warning"), ("python", "3.10.14", "error"), ("python", "2.7.18", "error"),
    ("implementation", "PyPy", "error"), ("platform", "macosx-arm64", "warning"),
])
def test_interpreter_mismatch_severity(captured: dict[str, object], field: str, value: str,
                                       severity: str) -> None:
    if field == "python" and value == platform.python_version():  # a mismatch needs another patch release
        major, minor, patch = value.split(".")
        value = f"{major}.{minor}.{int(patch) + 1}"
    report = check_environment({**captured, field: value})
    assert [(m.kind, m.recorded, m.severity) for m in report.mismatches] == [(field, value, severity)]
    assert report.ok == (severity == "warning")


def test_accelerator_drift_is_a_warning(captured: dict[str, object], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUDA_VERSION", "12.4.1")
    report = check_environment({**captured, "accelerators": {"cuda": "11.8.0"}})
    assert report.ok
    assert report.mismatches == [EnvMismatch("accelerator", "cuda", "11.8.0", "12.4.1", "warning")]


def test_check_against_a_second_venv(captured: dict[str, object], bare_python: Path) -> None:
    report = check_environment(captured, python=bare_python)
    assert not report.ok
    assert {("package", "pyyaml", None), ("package", "jsonschema", None)} <= {(m.kind, m.name, m.found)
                                                                            for m in report.errors}
    assert {(m.kind, m.name, m.found) for m in report.errors} == {
        ("package", name, None) for name in captured["packages"]}  # type: ignore[union-attr]
    # Same base interpreter, so the python facts match.
    assert report.found["python"] == platform.python_version()
    assert not [m for m in report.mismatches if m.kind != "package"]


def test_check_against_a_second_venv_with_a_relative_path(captured: dict[str, object], bare_python: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(bare_python.parent.parent)
    report = check_environment({**captured, "packages": {}}, python=os.path.join("bin", "python"))
    assert report.ok


def test_check_without_a_record_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="no environment recorded"):
        check_environment({})
