"""DVC `.dvc` pointer files, read as YAML (no DVC import: the hook reads these)."""

from __future__ import annotations

from dataclasses import dataclass

from gitmodel.errors import InvalidInput
from gitmodel.fileio import parse_yaml


@dataclass(frozen=True)
class Pointer:
    md5: str
    size: int | None
    nfiles: int | None
    path: str


def pointer_path(path: str) -> str:
    return f"{path}.dvc"


def parse_pointer(data: bytes, *, where: str) -> Pointer:
    """The single output of a DVC 3 pointer: `outs: [{md5, size, hash: md5, path}]`."""
    doc = parse_yaml(data, where=where)
    outs = doc.get("outs") if isinstance(doc, dict) else None
    if not isinstance(outs, list) or len(outs) != 1 or not isinstance(outs[0], dict):
        raise InvalidInput("not a DVC pointer with exactly one output", where=f"{where}: outs",
                           hint="re-create it with `gitmodel bump NAME`")
    out = outs[0]
    md5 = out.get("md5")
    if not isinstance(md5, str):
        raise InvalidInput("has no md5 (was it added with `dvc add --no-commit`?)", where=f"{where}: outs[0].md5")
    size = out.get("size")
    nfiles = out.get("nfiles")
    return Pointer(md5=md5, size=size if isinstance(size, int) else None,
                   nfiles=nfiles if isinstance(nfiles, int) else None, path=str(out.get("path", "")))
