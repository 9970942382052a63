"""DVC `.dvc` pointer files, read as YAML (no DVC import: the hook reads these)."""

from __future__ import annotations

import re

from gitmodel.infra.errors import InvalidInput
from gitmodel.infra.fileio import parse_yaml
from gitmodel.model.records import Record

TYPE_CHECKING = False  # as in fileio: the hook imports this module
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable


class Pointer(Record, frozen=True):
    md5: str
    size: int | None
    nfiles: int | None
    path: str
    hash: str = "md5"              # DVC 3's; DVC 2's md5-dos2unix (or none) is stored under other names
    elsewhere: str | None = None   # a key that makes DVC fetch the output from somewhere else, as `key: value`


def pointer_path(path: str) -> str:
    return f"{path}.dvc"  # model/components.py's POINTERS["dvc"]; a test ties them (not imported: the hook reads this)


# What `dvc add` writes, byte for byte; anything else (comments, meta, extra keys) goes through YAML.
_DVC3_POINTER = re.compile(
    rb"outs:\n- md5: (?P<md5>[0-9a-f]{32}(?:\.dir)?)\n  size: (?P<size>[0-9]+)\n(?:  nfiles: (?P<nfiles>[0-9]+)\n)?"
    rb"  hash: md5\n  path: (?P<path>[A-Za-z0-9_./-]+)\n")


def parse_pointer(data: bytes, *, where: str, beside: str | None = None) -> Pointer:
    """The single output of a DVC 3 pointer: `outs: [{md5, size, hash: md5, path}]`.

    `beside` is the repo path of the file the pointer describes (`artifacts/w.bin` for
    `artifacts/w.bin.dvc`): the pointer's `path:` must then name exactly that file, since DVC writes
    wherever `path:` says (`../serve.py` would overwrite another file). Refused with exit 2 otherwise.
    """
    # `status` over a hundred models reads a hundred pointers: the common shape skips the YAML parser
    fast = _DVC3_POINTER.fullmatch(data)
    if fast is not None:
        nfiles = fast["nfiles"]
        pointer = Pointer(md5=fast["md5"].decode(), size=int(fast["size"]), nfiles=int(nfiles) if nfiles else None,
                          path=fast["path"].decode())
    else:
        pointer = _parse_slow(data, where=where)
    if beside is not None:
        expected = beside.rstrip("/").rsplit("/", 1)[-1]
        if pointer.path != expected:
            raise InvalidInput(f"the pointer's path is {pointer.path!r}, not the file it sits beside ({expected!r})",
                               where=f"{where}: outs[0].path",
                               hint=f"a pointer may only describe {beside}: delete {where} and re-create it with "
                                    "`gitmodel bump NAME`")
    return pointer


def check_pointers(paths: Iterable[str], read: Callable[[str], bytes | None]) -> None:
    """Each DVC pointer that exists (`read(pointer path)` gives its bytes, or None) must describe the
    file it sits beside: one naming another path would make DVC read or write there."""
    for path in paths:
        ptr = pointer_path(path)
        blob = read(ptr)
        if blob is not None:
            parse_pointer(blob, where=ptr, beside=path)


def _parse_slow(data: bytes, *, where: str) -> Pointer:
    doc = parse_yaml(data, where=where)
    outs = doc.get("outs") if isinstance(doc, dict) else None
    if not isinstance(outs, list) or len(outs) != 1 or not isinstance(outs[0], dict):
        # `gitmodel bump` reads the pointer too: have DVC write a fresh one
        hint = (f"re-create it: `rm {where} && dvc add {where.removesuffix('.dvc')} && git add {where}`"
                if where.endswith(".dvc") else "re-create it with `gitmodel bump NAME`")
        raise InvalidInput("not a DVC pointer with exactly one output", where=f"{where}: outs", hint=hint)
    out = outs[0]
    md5 = out.get("md5")
    if not isinstance(md5, str):
        raise InvalidInput("has no md5 (was it added with `dvc add --no-commit`?)", where=f"{where}: outs[0].md5")
    size = out.get("size")
    nfiles = out.get("nfiles")
    elsewhere = next((f"{key}: {out[key]}" for key in ("remote", "cache") if key in out
                      and (key != "cache" or out[key] is not True)), None)
    return Pointer(md5=md5, size=size if isinstance(size, int) else None,
                   nfiles=nfiles if isinstance(nfiles, int) else None, path=str(out.get("path", "")),
                   hash=str(out.get("hash", "(none: DVC 2's md5-dos2unix)")), elsewhere=elsewhere)
