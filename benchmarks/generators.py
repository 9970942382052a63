"""Fixtures the figures run on, generated fresh (never committed): repos, tags, big files, samples."""

from __future__ import annotations

import hashlib
import json
import os
import struct
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.harness import MIB, BenchError
from benchmarks.workspace import Workspace

GIB = 1024 * MIB
OLD = time.time() - 3600  # generated files look an hour old: past git's and gitmodel's racy windows
LFS_POINTER = "version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {size}\n"


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
        import shutil

        shutil.copyfile(source, target)


# --------------------------------------------------------------------------------------- manifests


def _manifest_module():  # type: ignore[no-untyped-def]
    from gitmodel.model import manifest

    return manifest


def _entry(root: Path, path: str, storage: str, **extra: object) -> object:
    mf = _manifest_module()
    full = root / path
    digest = hashlib.sha256(full.read_bytes()).hexdigest()
    return mf.FileEntry(path=path, sha256=digest, size=full.stat().st_size, storage=storage, **extra)


def write_manifest(root: Path, name: str, version: str, *, weights: tuple = (), data: tuple = (),
                   prompts: tuple = (), metrics: dict | None = None, params: dict | None = None,
                   schema: dict | None = None, durable: bool = True) -> Path:
    """A manifest written by gitmodel's own `manifest.save` (so the format is always the current one).

    `durable=False` writes `manifest.render`'s text directly: no fsync and no parse-cache entry per file, which
    is what makes 10,000 manifests take seconds rather than minutes (the state of a fresh clone)."""
    mf = _manifest_module()
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
    mf = _manifest_module()
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
            data_entries = (_entry(root, path, "dvc", md5=pointer.md5, role="train"),)
        manifests.append(write_manifest(
            root, name_i, "1.0.0",
            weights=(_entry(root, f"artifacts/{name_i}/weights.bin", "git", format="unknown"),),
            data=data_entries,
            prompts=(_entry(root, f"prompts/{name_i}/system.txt", "git"),), durable=durable,
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


def clone(ws: Workspace, source: Path, name: str) -> Path:
    target = ws.root / name
    if target.exists():
        ws.fresh_dir(name).rmdir()
    ws.git(ws.root, "clone", "-q", "--no-local", str(source), str(target))
    return target


# ---------------------------------------------------------------------------------------- tags


@dataclass(frozen=True)
class TagRepo:
    root: Path
    tags: int
    models: int


def tag_repo(ws: Workspace, name: str, *, tags: int, models: int = 100) -> TagRepo:
    """`tags` annotated release tags over `models` models, written by ONE `git fast-import` and packed.

    Release k of every model is on commit k (its manifest at version 1.k.0 there), so no model has two
    versions on one commit (GTO refuses that) and every tag carries gitmodel's message with the
    manifest's real fingerprint.
    """
    from gitmodel.model.config import default_text

    mf = _manifest_module()
    per_model = tags // models
    if per_model * models != tags:
        raise BenchError(f"{tags} tags do not divide over {models} models")
    root = ws.fresh_dir(name)
    ws.git(root, "init", "-q")
    chunks: list[bytes] = []

    def data(payload: bytes) -> None:
        chunks.append(b"data %d\n" % len(payload) + payload + b"\n")

    config = default_text().encode()
    start = int(OLD) - per_model * models * 2
    clock = start
    for k in range(per_model):
        clock += 1
        version = f"1.{k}.0"
        fingerprints: dict[str, str] = {}
        chunks.append(b"commit refs/heads/main\nmark :%d\n" % (k + 1))
        chunks.append(b"committer Bench User <bench@example.com> %d +0000\n" % clock)
        data(f"release round {k}".encode())
        if k:
            chunks.append(b"from :%d\n" % k)
        chunks.append(b"M 100644 inline .gitmodel.yaml\n")
        data(config)
        for i in range(models):
            name_i = model_name(i)
            prompt = f"You are {name_i}, revision {k}.\n".encode()
            entry = mf.FileEntry(path=f"prompts/{name_i}/system.txt", sha256=hashlib.sha256(prompt).hexdigest(),
                                 size=len(prompt), storage="git")
            manifest = mf.Manifest(name=name_i, version=version, description=f"benchmark model {name_i}",
                                   prompts=(entry,), metrics={"accuracy": round(0.8 + k / 1000, 4)})
            fingerprints[name_i] = manifest.fingerprint()
            chunks.append(f"M 100644 inline prompts/{name_i}/system.txt\n".encode())
            data(prompt)
            chunks.append(f"M 100644 inline models/{name_i}.yaml\n".encode())
            data(mf.render(manifest).encode())
        for i in range(models):
            name_i = model_name(i)
            clock += 1
            message = (f"gitmodel release {name_i} v{version}\n\nfingerprint: sha256:{fingerprints[name_i]}\n"
                       f"manifest: models/{name_i}.yaml\n")
            chunks.append(f"tag {name_i}@v{version}\nfrom :{k + 1}\n".encode())
            chunks.append(b"tagger Bench User <bench@example.com> %d +0000\n" % clock)
            data(message.encode())
    ws.git(root, "fast-import", "--quiet", input=b"".join(chunks))
    ws.git(root, "pack-refs", "--all")
    ws.git(root, "checkout", "-q", "-f", "main")
    count = len(ws.git(root, "for-each-ref", "--format=%(refname)", "refs/tags").splitlines())
    if count != tags:
        raise BenchError(f"tag generator made {count} tags, wanted {tags}")
    return TagRepo(root, tags, models)


# ------------------------------------------------------------------------------------ LFS repos


def patch_index_stat(root: Path, paths: list[str]) -> None:
    """Record the working-tree stat of `paths` in the index, as git-lfs's smudge checkout leaves it.

    The index holds the LFS pointer blob for each path while the working tree holds the (sparse) 1 GiB
    file; with matching stat data git treats the file as clean and never reads it. Index v2/v3 only.
    """
    index = root / ".git" / "index"
    raw = bytearray(index.read_bytes())
    signature, version, count = struct.unpack(">4sII", raw[:12])
    if signature != b"DIRC" or version not in (2, 3):
        raise BenchError(f"cannot patch index version {version}")
    wanted = {p.encode(): p for p in paths}
    offset, patched = 12, 0
    for _ in range(count):
        flags = struct.unpack(">H", raw[offset + 60 : offset + 62])[0]
        header = 62 + (2 if flags & 0x4000 else 0)
        end = raw.index(b"\0", offset + header)
        name = bytes(raw[offset + header : end])
        if name in wanted:
            st = os.lstat(root / wanted[name])
            mask = 0xFFFFFFFF
            raw[offset : offset + 24] = struct.pack(
                ">6I", int(st.st_ctime) & mask, st.st_ctime_ns % 1_000_000_000, int(st.st_mtime) & mask,
                st.st_mtime_ns % 1_000_000_000, st.st_dev & mask, st.st_ino & mask)
            raw[offset + 28 : offset + 40] = struct.pack(">3I", st.st_uid & mask, st.st_gid & mask,
                                                         st.st_size & mask)
            patched += 1
        entry_len = header + len(name)
        offset += (entry_len + 8) & ~7
    if patched != len(paths):
        raise BenchError(f"patched {patched} index entries, wanted {len(paths)}")
    body = bytes(raw[:-20])
    temp = index.with_name("index.bench-tmp")
    temp.write_bytes(body + hashlib.sha1(body).digest())  # noqa: S324 - git's index checksum is sha1
    os.replace(temp, index)


def lfs_pair(ws: Workspace, models: int = 100) -> tuple[Path, Path]:
    """Two repos alike but for the weights: (100 models with LFS-stored 1 GiB weights, 100 models with
    git-stored prompts only). The LFS working tree holds sparse 1 GiB files; the index the pointers."""
    zeros_oid = _zeros_sha256(GIB)
    pointer = LFS_POINTER.format(oid=zeros_oid, size=GIB).encode()
    repos = []
    for kind in ("lfs", "prompts"):
        root = init_repo(ws, f"repo-{kind}", dvc=False)
        written: list[Path] = []
        manifests: list[Path] = []
        weight_paths: list[str] = []
        if kind == "lfs":
            (root / ".gitattributes").write_text("artifacts/** filter=lfs diff=lfs merge=lfs -text\n")
        for i in range(models):
            name_i = model_name(i)
            prompt = root / "prompts" / name_i / "system.txt"
            prompt.parent.mkdir(parents=True, exist_ok=True)
            prompt.write_text(f"You are model {name_i}.\n" * 4)
            written.append(prompt)
            weights: tuple = ()
            if kind == "lfs":
                path = f"artifacts/{name_i}/model.safetensors"
                weights = (_manifest_module().FileEntry(path=path, sha256=zeros_oid, size=GIB, storage="lfs",
                                                         format="unknown"),)
                weight_paths.append(path)
            manifests.append(write_manifest(root, name_i, "1.0.0", weights=weights,
                                            prompts=(_entry(root, f"prompts/{name_i}/system.txt", "git"),)))
        age(written + manifests)
        ws.git(root, "add", "-A")
        if weight_paths:
            blob = ws.git(root, "hash-object", "-w", "--stdin", input=pointer).strip()
            info = "".join(f"100644 {blob}\t{p}\n" for p in weight_paths).encode()
            ws.git(root, "update-index", "--add", "--index-info", input=info)
            for path in weight_paths:
                full = root / path
                full.parent.mkdir(parents=True, exist_ok=True)
                with open(full, "wb") as stream:
                    stream.truncate(GIB)  # sparse: no disk, but reading it would take real time
            age([root / p for p in weight_paths])
            patch_index_stat(root, weight_paths)
        ws.git(root, "commit", "-q", "-m", f"{models} models ({kind})")
        if ws.git(root, "status", "--porcelain"):
            raise BenchError(f"repo-{kind} is not clean after generation")
        repos.append(root)
    return repos[0], repos[1]


def _zeros_sha256(size: int) -> str:
    digest = hashlib.sha256()
    block = bytes(16 * MIB)
    for _ in range(size // len(block)):
        digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------------------------------- samples


INPUT_SCHEMA = {
    "inputs": {
        "type": "object",
        "required": ["text", "user_age"],
        "properties": {
            "text": {"type": "string", "maxLength": 2000},
            "user_age": {"type": "integer", "minimum": 0},
            "country": {"type": "string"},
            "score": {"type": "number"},
        },
    },
    "outputs": {"type": "object", "properties": {"label": {"enum": ["neg", "neu", "pos"]}}},
}


def samples_repo(ws: Workspace, rows: int = 1_000_000) -> tuple[Path, str]:
    """A repo with model `scorer` (schema.inputs above) and a JSONL file of `rows` valid records."""
    root = init_repo(ws, "repo-samples", dvc=False)
    weights = root / "artifacts" / "scorer.bin"
    weights.parent.mkdir(parents=True)
    weights.write_bytes(os.urandom(4096))
    prompt = root / "prompts" / "scorer.txt"
    prompt.parent.mkdir(parents=True)
    prompt.write_text("Score the ticket.\n")
    age([weights, prompt])
    write_manifest(root, "scorer", "1.0.0",
                   weights=(_entry(root, "artifacts/scorer.bin", "git", format="unknown"),),
                   prompts=(_entry(root, "prompts/scorer.txt", "git"),), schema=INPUT_SCHEMA)
    ws.git(root, "add", "-A")
    ws.git(root, "commit", "-q", "-m", "scorer")
    countries = ["de", "fr", "us", "jp", "br"]
    with open(root / "rows.jsonl", "w", encoding="utf-8") as stream:
        for i in range(rows):
            stream.write(json.dumps({"text": f"ticket {i}: the app crashes when I upload a photo",
                                     "user_age": 18 + i % 60, "country": countries[i % 5],
                                     "score": (i % 100) / 100}) + "\n")
    (root / ".git" / "info" / "exclude").write_text("rows.jsonl\n")
    return root, "rows.jsonl"


# ------------------------------------------------------------------------------ distributions


def fake_distributions(ws: Workspace, total: int = 300) -> tuple[Path, int]:
    """A site directory of minimal `.dist-info` distributions so the interpreter sees `total` in all."""
    from importlib import metadata

    have = len({(d.metadata["Name"] or "").lower() for d in metadata.distributions()})
    site = ws.fresh_dir("fake-site")
    extra = max(0, total - have)
    for i in range(extra):
        info = site / f"benchfake_pkg{i:03d}-1.{i}.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: benchfake-pkg{i:03d}\nVersion: 1.{i}.0\n")
        (info / "RECORD").write_text("")
    return site, have + extra
