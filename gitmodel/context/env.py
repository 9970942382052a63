"""Environment record (`gitmodel env capture`) and drift report (`gitmodel env check`)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from gitmodel.infra.errors import ExternalFailure, InvalidInput
from gitmodel.infra.hashing import sha256_file

DEFAULT_PACKAGES: tuple[str, ...] = (
    "torch", "tensorflow", "jax", "jaxlib", "scikit-learn", "transformers", "numpy", "pandas",
    "onnxruntime", "xgboost", "lightgbm", "safetensors", "tokenizers", "accelerate", "keras",
)
PROBE_TIMEOUT = 30.0

# The only code that gathers interpreter facts. It runs in-process for the current interpreter and as
# `python -I -c` for another one, so both answers come from the same lines. It must stay valid on any
# Python 3.8+ and import nothing outside the standard library. Distributions are keyed by the name in
# their `.dist-info` directory (no file read); metadata is read only for the names asked for.
_PROBE_SCRIPT = r'''
import importlib.metadata, json, os, platform, re, sys, sysconfig

def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()

def dist_key(dist):
    path = getattr(dist, "_path", None)
    stem, _, suffix = os.path.basename(str(path or "")).rpartition(".")
    if suffix == "dist-info" and stem.count("-") == 1:
        return canonical(stem.split("-")[0])
    if suffix == "egg-info" and "-" in stem:
        return canonical(stem.split("-")[0])
    name = dist.metadata["Name"]
    return canonical(name) if name else None

def probe(names):
    dists = {}
    for dist in importlib.metadata.distributions():
        key = dist_key(dist)
        if key and key not in dists:
            dists[key] = dist
    packages = {}
    for key in [canonical(n) for n in names] or sorted(dists):
        dist = dists.get(key)
        version = dist.version if dist is not None else None
        if version:
            packages[key] = version
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": sysconfig.get_platform(),
        "machine": platform.machine(),
        "packages": packages,
    }

if __name__ == "__main__":
    json.dump(probe(sys.argv[1:]), sys.stdout)
'''

_NAME_RE = re.compile(r"^([a-z0-9]|[a-z0-9][a-z0-9._-]*[a-z0-9])$", re.IGNORECASE)
_LOCK_KINDS = {"uv.lock": "uv", "poetry.lock": "poetry", "environment.yml": "conda",
               "environment.yaml": "conda", "conda-lock.yml": "conda", "conda-lock.yaml": "conda"}


# Severity: a package that differs or is missing, another Python major.minor or another implementation is
# an error (`env check` exits 1): each changes which wheels load and how they behave. A Python patch release,
# another platform or another driver/CUDA/cuDNN is a warning: worth seeing, rarely the cause, and the last
# two are facts of the machine that a CPU-only CI box cannot match.
@dataclass(frozen=True)
class EnvMismatch:
    """One recorded fact that the checked interpreter does not match; `found` None means missing."""

    kind: str  # "package" | "python" | "implementation" | "platform" | "accelerator"
    name: str
    recorded: str
    found: str | None
    severity: str = "error"  # "error" fails `env check`; "warning" is reported only


@dataclass
class EnvReport:
    """Recorded environment, what the checked interpreter has, and every difference."""

    recorded: dict[str, Any]
    found: dict[str, Any]
    mismatches: list[EnvMismatch]

    @property
    def errors(self) -> list[EnvMismatch]:
        return [m for m in self.mismatches if m.severity == "error"]

    @property
    def warnings(self) -> list[EnvMismatch]:
        return [m for m in self.mismatches if m.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when no mismatch is an error (warnings alone pass)."""
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        """The `--json` form of the report."""
        return {"ok": self.ok, "recorded": self.recorded, "found": self.found,
                "mismatches": [asdict(m) for m in self.mismatches]}


def canonical_name(name: str) -> str:
    """PEP 503 normalised distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def _probe_namespace() -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "gitmodel._env_probe"}
    exec(compile(_PROBE_SCRIPT, "<gitmodel env probe>", "exec"), namespace)
    return namespace


def _normalise_platform(raw: str, machine: str) -> str:
    """`<os>-<machine>` from sysconfig's platform: drop OS release numbers, keep the architecture."""
    if "-" in raw:
        parts = raw.split("-")
        return f"{parts[0]}-{parts[-1]}".lower()
    if raw == "win32":  # sysconfig's name for 32-bit Windows builds
        return "win-x86"
    os_name, sep, arch = raw.partition("_")  # e.g. mingw_x86_64
    return f"{os_name}-{arch if sep else machine}".lower()


def _resolve_interpreter(python: str | Path) -> str:
    text = str(python)
    if not text:
        raise InvalidInput("empty interpreter path", where="--python")
    if os.sep not in text and "/" not in text:
        # A bare name such as `python3.12` is looked up on PATH, as a shell would.
        found = shutil.which(text)
        if found is None:
            raise InvalidInput(f"interpreter {text!r} not found on PATH", where="--python",
                               hint="pass the path to a python executable, e.g. .venv/bin/python")
        return found
    path = Path(text)
    if not path.is_file() or not os.access(path, os.X_OK):
        raise InvalidInput(f"{text} is not an executable file", where="--python",
                           hint="pass the path to a python executable, e.g. .venv/bin/python")
    return text


def _run_probe(python: str | Path, names: list[str], timeout: float) -> dict[str, Any]:
    exe = _resolve_interpreter(python)
    try:
        proc = subprocess.run([exe, "-I", "-c", _PROBE_SCRIPT, *names], capture_output=True, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired as err:
        raise ExternalFailure(f"{exe} did not answer within {timeout:g} s", where="--python") from err
    except OSError as err:
        raise InvalidInput(f"cannot run {exe}: {err.strerror or err}", where="--python") from err
    hint = "pass a Python 3.8+ interpreter"
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise InvalidInput(f"{exe} failed (exit {proc.returncode}): {last}", where="--python", hint=hint)
    try:
        raw = json.loads(proc.stdout)
    except ValueError as err:
        raise InvalidInput(f"{exe} gave unreadable output", where="--python", hint=hint) from err
    keys = ("python", "implementation", "platform", "machine", "packages")
    if not isinstance(raw, dict) or any(k not in raw for k in keys) or not isinstance(raw["packages"], dict):
        raise InvalidInput(f"{exe} gave unexpected output", where="--python", hint=hint)
    return raw


def probe_interpreter(python: str | Path | None, names: Iterable[str], *,
                      timeout: float = PROBE_TIMEOUT) -> dict[str, Any]:
    """Python version, implementation, platform and package versions of an interpreter (None = this one)."""
    wanted = [canonical_name(n) for n in names]
    raw = _probe_namespace()["probe"](wanted) if python is None else _run_probe(python, wanted, timeout)
    return {
        "python": str(raw["python"]),
        "implementation": str(raw["implementation"]),
        "platform": _normalise_platform(str(raw["platform"]), str(raw["machine"])),
        "packages": {str(k): str(v) for k, v in sorted(raw["packages"].items())},
    }


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _cuda_version(fs_root: Path, environ: Mapping[str, str]) -> str | None:
    if environ.get("CUDA_VERSION"):
        return environ["CUDA_VERSION"].strip()
    cuda = fs_root / "usr/local/cuda"
    text = _read_text(cuda / "version.json")
    if text is not None:
        try:
            version = json.loads(text).get("cuda", {}).get("version")
        except (ValueError, AttributeError):
            version = None
        if isinstance(version, str) and version:
            return version
    text = _read_text(cuda / "version.txt")
    match = re.search(r"(\d+\.\d+(?:\.\d+)*)", text or "")
    return match.group(1) if match else None


def _cudnn_version(fs_root: Path) -> str | None:
    candidates = [fs_root / "usr/include/cudnn_version.h",
                  *sorted((fs_root / "usr/include/x86_64-linux-gnu").glob("cudnn_version*.h")),
                  fs_root / "usr/local/cuda/include/cudnn_version.h"]
    for header in candidates:
        text = _read_text(header)
        if text is None:
            continue
        parts = [re.search(rf"^\s*#\s*define\s+CUDNN_{key}\s+(\d+)", text, re.MULTILINE)
                 for key in ("MAJOR", "MINOR", "PATCHLEVEL")]
        if all(parts):
            return ".".join(p.group(1) for p in parts if p)
    return None


def discover_accelerators(*, fs_root: Path = Path("/"),
                          environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """NVIDIA driver, CUDA and cuDNN versions found in files and the environment (never imports a framework)."""
    environ = os.environ if environ is None else environ
    found: dict[str, str] = {}
    # nvidia-smi would also answer, but costs about a second; the kernel module's file is instant.
    driver = re.search(r"Kernel Module\b.*?\s(\d+\.\d+(?:\.\d+)*)\s",
                       _read_text(fs_root / "proc/driver/nvidia/version") or "")
    if driver:
        found["nvidia_driver"] = driver.group(1)
    cuda = _cuda_version(fs_root, environ)
    if cuda:
        found["cuda"] = cuda
    cudnn = _cudnn_version(fs_root)
    if cudnn:
        found["cudnn"] = cudnn
    return found


def lock_kind(name: str) -> str:
    """Which tool a lock file belongs to, from its file name."""
    lowered = name.lower()
    if lowered in _LOCK_KINDS:
        return _LOCK_KINDS[lowered]
    if lowered.endswith(".txt"):
        return "pip"
    if lowered.startswith("conda-") and lowered.endswith((".yml", ".yaml", ".lock")):
        return "conda"
    return "other"


def _lock_record(lock: Path, root: Path) -> dict[str, str]:
    root_resolved = root.resolve()
    # Relative paths are taken from the repo root, as every path in a manifest is.
    candidate = lock if lock.is_absolute() else root_resolved / lock
    resolved = candidate.resolve()
    try:
        relative = resolved.relative_to(root_resolved)
    except ValueError:
        raise InvalidInput("lock file is outside the repository", where=str(lock),
                           hint="keep the lock file inside the repo and pass its path") from None
    if not resolved.exists():
        raise InvalidInput("lock file not found", where=str(lock),
                           hint="check the path, or create it (e.g. `pip freeze > requirements.txt`)")
    if not resolved.is_file():
        raise InvalidInput("lock file is not a regular file", where=str(lock))
    return {"path": relative.as_posix(), "sha256": _git_stored_sha256(root_resolved, relative.as_posix()),
            "kind": lock_kind(resolved.name)}


def _git_stored_sha256(root: Path, relative: str) -> str:
    """The lock is a git-stored file: its sha256 is the blob git stores (`gitmodel.repo.sources.stored_sha256`)."""
    from gitmodel.infra.errors import GitmodelError
    from gitmodel.infra.hashing import HashCache
    from gitmodel.repo import git
    from gitmodel.repo.sources import stored_sha256

    try:
        found = stored_sha256(HashCache(git.git_dir(root), root), [relative]).get(relative)
    except GitmodelError:
        found = None  # not a git work tree: the bytes as they are
    return found[0] if found is not None else sha256_file(root / relative)


def _check_names(names: Sequence[str]) -> None:
    bad = [n for n in names if not _NAME_RE.match(n)]
    if bad:
        raise InvalidInput(f"not a distribution name: {', '.join(repr(n) for n in bad)}", where="--package")


def capture_environment(*, lock: Path | None, extra_packages: Sequence[str], root: Path) -> dict[str, Any]:
    """The manifest's `environment` component for the running interpreter and this machine."""
    _check_names(extra_packages)
    extra = [canonical_name(n) for n in extra_packages]
    wanted = list(dict.fromkeys([*DEFAULT_PACKAGES, *extra]))
    facts = probe_interpreter(None, wanted)
    missing = [n for n, key in zip(extra_packages, extra, strict=True) if key not in facts["packages"]]
    if missing:
        names = ", ".join(dict.fromkeys(missing))
        raise InvalidInput(f"not installed in this interpreter: {names}", where="--package",
                           hint="install it, or pass the distribution name (scikit-learn, not sklearn)")
    environment: dict[str, Any] = dict(facts)
    accelerators = discover_accelerators()
    if accelerators:
        environment["accelerators"] = accelerators
    if lock is not None:
        environment["lock"] = _lock_record(lock, root)
    return environment


def _minor(version: str) -> tuple[str, ...]:
    return tuple(version.split(".")[:2])


def _as_text(value: object) -> str:
    # YAML turns a hand-written `numpy: 1.26` into a float; compare it as the text the user typed.
    return value if isinstance(value, str) else json.dumps(value)


def _interpreter_mismatches(recorded: Mapping[str, Any], found: Mapping[str, Any]) -> list[EnvMismatch]:
    out: list[EnvMismatch] = []
    if "python" in recorded and _as_text(recorded["python"]) != found["python"]:
        # A patch release keeps the ABI; a different minor changes wheels and stdlib behaviour.
        want = _as_text(recorded["python"])
        severity = "error" if _minor(want) != _minor(found["python"]) else "warning"
        out.append(EnvMismatch("python", "python", want, found["python"], severity))
    if "implementation" in recorded and _as_text(recorded["implementation"]) != found["implementation"]:
        out.append(EnvMismatch("implementation", "implementation", _as_text(recorded["implementation"]),
                               found["implementation"]))
    if "platform" in recorded and _as_text(recorded["platform"]) != found["platform"]:
        # Same packages on another OS or architecture usually behave the same; worth seeing, not failing.
        out.append(EnvMismatch("platform", "platform", _as_text(recorded["platform"]), found["platform"],
                               "warning"))
    return out


def check_environment(recorded: Mapping[str, Any], *, python: str | Path | None = None) -> EnvReport:
    """Compare a recorded environment with this interpreter, or with the one at `python`."""
    if not isinstance(recorded, Mapping) or not recorded:
        raise InvalidInput("no environment recorded", where="environment",
                           hint="run `gitmodel env capture NAME` and commit the manifest")
    packages = recorded.get("packages") or {}
    if not isinstance(packages, Mapping):
        raise InvalidInput("must be a mapping of package name to version", where="environment: packages")
    facts = probe_interpreter(python, [str(n) for n in packages])
    installed: dict[str, str] = facts["packages"]
    mismatches = _interpreter_mismatches(recorded, facts)
    for name in sorted(packages, key=str):
        want = _as_text(packages[name])
        have = installed.get(canonical_name(str(name)))
        if have != want:
            mismatches.append(EnvMismatch("package", str(name), want, have))
    found: dict[str, Any] = {**facts, "packages": {str(n): installed.get(canonical_name(str(n)))
                                                   for n in packages}}
    recorded_acc = recorded.get("accelerators")
    if isinstance(recorded_acc, Mapping) and recorded_acc:
        # Driver and CUDA are facts of the machine, not of the interpreter, so `--python` does not change them.
        accelerators = discover_accelerators()
        found["accelerators"] = accelerators
        for name in sorted(recorded_acc, key=str):
            want = _as_text(recorded_acc[name])
            if accelerators.get(str(name)) != want:
                mismatches.append(EnvMismatch("accelerator", str(name), want, accelerators.get(str(name)),
                                              "warning"))
    return EnvReport(recorded=dict(recorded), found=found, mismatches=mismatches)
