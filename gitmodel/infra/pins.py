"""Which paths a manifest pins, by the manifest's blob id: `<git dir>/gitmodel/hookpins`, text.

Written when gitmodel writes a manifest (`gitmodel.model.manifest.save`: `add`, `bump`, ...) and when the commit
hook lets a staged one in; read by the hook when HEAD moved and a manifest changed (`gitmodel.gate.hook_index`),
so that following a pull, a merge or a `--no-verify` commit of a manifest gitmodel wrote needs neither YAML
nor JSON (both cost the hook more than the rest of that run). Content-addressed, so never stale.

Records `\\n<blob id>\\t<path>\\t<path>…\\0` are appended (fields escaped: a git path may hold a tab, a
newline or a backslash, never a NUL); a lookup is one search of the bytes from the end (the latest record of
a blob wins). A record cut short by a killed writer lacks its closing NUL and is skipped, even once the next
record's newline follows it. Past `LIMIT` bytes the file is rewritten with its latest `KEEP` records.
"""

from __future__ import annotations

from gitmodel.infra import cache

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

FILE = "hookpins"
FORMAT = 2  # 1 was hookpins.json
KEEP = 2048
LIMIT = 4 << 20


def esc(text: str) -> bytes:
    """`text` as one field of a line (tab, newline and backslash escaped: git paths may hold them)."""
    data = text.encode("utf-8", "surrogateescape")
    if b"\\" in data or b"\t" in data or b"\n" in data:
        data = data.replace(b"\\", b"\\\\").replace(b"\t", b"\\t").replace(b"\n", b"\\n")
    return data


def unesc(data: bytes) -> str:
    if b"\\" in data:
        import re

        data = re.sub(rb"\\(.)", lambda m: {b"t": b"\t", b"n": b"\n"}.get(m.group(1), m.group(1)), data)
    return data.decode("utf-8", "surrogateescape")


def _path(git_dir: Path | str) -> str:
    return cache.cache_file(git_dir, FILE)


def lookup(git_dir: Path | str, oids: list[str]) -> dict[str, list[str]]:
    """The pins recorded for each of `oids` that has a whole record."""
    return _find(cache.load_text(_path(git_dir), FORMAT) or b"", oids)


def _find(data: bytes, oids: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for oid in oids if data else []:
        needle = b"\n" + oid.encode("ascii", "replace") + b"\t"
        at = data.rfind(needle)
        while at >= 0:
            end = data.find(b"\n", at + 1)
            end = len(data) if end < 0 else end
            if data[end - 1 : end] == b"\0":  # whole: a record cut short has no closing NUL
                fields = data[at + len(needle) : end - 1].split(b"\t")
                found[oid] = [unesc(f) for f in fields if f]
                break
            at = data.rfind(needle, 0, at)
    return found


def remember(git_dir: Path | str, pins: dict[str, list[str]]) -> bool:
    """Record the pins of manifests by blob id (best effort: it is only a cache); a blob whose latest record
    already says the same is not written again (the hook notes every manifest it lets in)."""
    path = _path(git_dir)
    data = cache.load_text(path, FORMAT)
    known = _find(data or b"", list(pins))
    pins = {oid: paths for oid, paths in pins.items() if known.get(oid) != list(paths)}
    if not pins:
        return False
    records = b"".join(b"\n" + oid.encode("ascii", "replace") + b"\t" + b"\t".join(esc(p) for p in paths) + b"\0"
                       for oid, paths in pins.items())
    if data is not None and len(data) > LIMIT:
        kept = b"".join(b"\n" + record for record in data.split(b"\n")[-KEEP:] if record)
        return cache.save_text(path, FORMAT, kept + records)
    return cache.append_text(path, FORMAT, records)
