"""Fixtures the figures run on, generated fresh (never committed): the shared pieces (file ages, model names,
the 1 GiB file, manifests written by gitmodel) and the N-model repo. The other fixtures are by noun:
gen_tags.py (release tags), gen_lfs.py (the LFS pair), gen_samples.py (samples, distributions)."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

from benchmarks.harness import MIB, BenchError
from benchmarks.workspace import Workspace, make_writable

GIB = 1024 * MIB
OLD = time.time() - 3600  # generated files look an hour old: past git's and gitmodel's racy windows


def age(paths: list[Path], when: float = OLD) -> None:
    for path in paths:
        os.utime(path, (when, when))


def model_name(i: int) -> str:
    return f"model-{i:03d}"


# --------------------------------------------------------------------------------------- big files


def big_file(ws: Workspace, size: int = GIB) -> Path:
    """A 1 GiB incompressible file: one 64 MiB block from os.urandom, repeated (sha256 speed does not
    depend on content; a repeated block keeps generation at disk speed)."""
    path = ws.root / "big" / "weights.bin"
    if path.exists() and path.stat().st_size == size:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    block = os.urandom(64 * MIB)
    temp = path.with_suffix(".tmp")
    with open(temp, "wb") as stream:
        written = 0
        while written < size:
            chunk = block[: size - written]
            stream.write(chunk)
            written += len(chunk)
    os.replace(temp, path)
    age([path])
    return path


def link_or_copy(source: Path, target: Path) -> None:
    """Hard-link the big file into a repo (no 1 GiB copy per run); DVC replaces, never edits, it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        target.unlink()
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


# --------------------------------------------------------------------------------------- manifests


def manifest_module():  # type: ignore[no-untyped-def]
    from gitmodel.model import manifest

    return manifest


def file_entry(root: Path, path: str, storage: str, **extra: object) -> object:
    mf = manifest_module()
    full = root / path
    digest = hashlib.sha256(full.read_bytes()).hexdigest()
    return mf.FileEntry(path=path, sha256=digest, size=full.stat().st_size, storage=storage, **extra)


def write_manifest(root: Path, name: str, version: str, *, weights: tuple = (), data: tuple = (),
                   prompts: tuple = (), metrics: dict | None = None, params: dict | None = None,
                   schema: dict | None = None, durable: bool = True) -> Path:
    """A manifest written by gitmodel's own `manifest.save` (so the format is always the current one).

    `durable=False` writes `manifest.render`'s text directly: no fsync and no parse-cache entry per file, which
    is what makes 10,000 manifests take seconds rather than minutes (the state of a fresh clone)."""
    mf = manifest_module()
    manifest = mf.Manifest(name=name, version=version, description=f"benchmark model {name}", weights=weights,
                           data=data, prompts=prompts, params=params or {"learning_rate": 0.001, "epochs": 3},
                           metrics=metrics or {"accuracy": 0.9, "f1": 0.88}, schema=schema)
    path = root / "models" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    if durable:
        mf.save(manifest, path)
    else:
        path.write_text(mf.render(manifest), encoding="utf-8")
    return path


def init_repo(ws: Workspace, name: str, *, dvc: bool = True, remote: Path | None = None) -> Path:
    """A git repo with one commit and `gitmodel init --no-hooks` (config, DVC, default remote)."""
    root = ws.fresh_dir(name)
    ws.git(root, "init", "-q")
    (root / "README.md").write_text("benchmark repo\n")
    ws.git(root, "add", "README.md")
    ws.git(root, "commit", "-q", "-m", "initial")
    if dvc:
        ws.sh([*ws.gm, "init", "--no-hooks", *(["--remote", str(remote)] if remote else [])], root)
    else:
        from gitmodel.model.config import default_text

        (root / ".gitmodel.yaml").write_text(default_text())
        (root / "models").mkdir()
    return root


def model_repo(ws: Workspace, name: str = "repo100", models: int = 100, dvc_models: int = 20, *,
               durable: bool = True) -> Path:
    """100 models, each with a git-stored weights file and prompt; `dvc_models` of them also pin a
    DVC-tracked data file, so `dvc status` has work. Committed (one `git add`, one `git commit`), and
    `gitmodel check` passes. `durable=False`: manifests written without fsync (see `write_manifest`)."""
    root = init_repo(ws, name)
    mf = manifest_module()
    written: list[Path] = []
    dvc_targets: list[str] = []
    for i in range(models):
        name_i = model_name(i)
        weights = root / "artifacts" / name_i / "weights.bin"
        weights.parent.mkdir(parents=True, exist_ok=True)
        weights.write_bytes(os.urandom(4096))
        prompt = root / "prompts" / name_i / "system.txt"
        prompt.parent.mkdir(parents=True, exist_ok=True)
        prompt.write_text(f"You are model {name_i}. Classify the sentiment of the ticket.\n" * 4)
        written += [weights, prompt]
        if i < dvc_models:
            data = root / "data" / name_i / "train.csv"
            data.parent.mkdir(parents=True, exist_ok=True)
            data.write_text("text,label\n" + "".join(f"row {i} {j},pos\n" for j in range(2000)))
            written.append(data)
            dvc_targets.append(data.relative_to(root).as_posix())
    age(written)
    if dvc_targets:
        ws.sh([ws.need_tool("dvc"), "add", "-q", *dvc_targets], root)
    from gitmodel.storage.dvc_pointers import parse_pointer

    manifests: list[Path] = []
    for i in range(models):
        name_i = model_name(i)
        data_entries: tuple = ()
        if i < dvc_models:
            path = f"data/{name_i}/train.csv"
            pointer = parse_pointer((root / f"{path}.dvc").read_bytes(), where=f"{path}.dvc")
            data_entries = (file_entry(root, path, "dvc", md5=pointer.md5, role="train"),)
        manifests.append(write_manifest(
            root, name_i, "1.0.0",
            weights=(file_entry(root, f"artifacts/{name_i}/weights.bin", "git", format="unknown"),),
            data=data_entries,
            prompts=(file_entry(root, f"prompts/{name_i}/system.txt", "git"),), durable=durable,
        ))
    age(manifests + list(root.rglob("*.dvc")) + list(root.rglob(".gitignore")))
    ws.git(root, "add", "-A")
    ws.git(root, "commit", "-q", "-m", f"{models} models")
    _require_check(ws, root)
    del mf
    return root


def _require_check(ws: Workspace, root: Path) -> None:
    import subprocess

    proc = subprocess.run([*ws.gm, "check"], cwd=root, env=ws.env, capture_output=True, text=True)
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        raise BenchError(f"generated repo {root.name} fails `gitmodel check`: {lines[0] if lines else '?'}")


def copy_repo(ws: Workspace, source: Path, name: str) -> Path:
    """A full copy (work tree, DVC cache, .git), then a refreshed index so stat data is current."""
    target = ws.root / name
    if target.exists():
        make_writable(target)
        shutil.rmtree(target)
    shutil.copytree(source, target, symlinks=True)
    ws.git(target, "update-index", "-q", "--refresh")
    if ws.git(target, "status", "--porcelain"):
        raise BenchError(f"copy {name} of {source.name} is not clean")
    return target
