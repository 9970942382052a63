"""The LFS fixture pair: 100 models with LFS-stored 1 GiB weights, and the same models with prompts only."""

from __future__ import annotations

import hashlib
import os
import struct
from pathlib import Path

from benchmarks.generators import GIB, age, file_entry, init_repo, manifest_module, model_name, write_manifest
from benchmarks.harness import MIB, BenchError
from benchmarks.workspace import Workspace

LFS_POINTER = "version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {size}\n"


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
                weights = (manifest_module().FileEntry(path=path, sha256=zeros_oid, size=GIB, storage="lfs",
                                                         format="unknown"),)
                weight_paths.append(path)
            manifests.append(write_manifest(root, name_i, "1.0.0", weights=weights,
                                            prompts=(file_entry(root, f"prompts/{name_i}/system.txt", "git"),)))
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
