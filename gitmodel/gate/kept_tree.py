"""Which manifests changed between the manifests tree the commit hook last described and HEAD's, without
`git diff-tree`.

`git diff-tree OLD NEW` inflates both trees: with 10,000 manifests in one directory, two 370 KB objects and
~87 M instructions, paid by the first commit after HEAD moved under the hook (a pull, a merge, a checkout, a
commit made with --no-verify). The hook keeps the raw bytes of the tree it describes, with each entry's offset
(`<git dir>/gitmodel/hooktree`), so that only HEAD's tree is read (`git cat-file tree`) and the two byte
strings are compared: their equal prefix and suffix are found by halving (memcmp, no parsing), and only the
entries between are parsed. A changed subdirectory (nested manifests), a tree the file does not hold, or
anything unexpected answers None, and the caller asks `git diff-tree`.

A tree object is `<mode> <name>\\0<binary id>` per entry, sorted by name; ids are 20 bytes (SHA-1) or 32
(SHA-256): the width is the tree id's hex length / 2.
"""

from __future__ import annotations

from gitmodel.infra import cache
from gitmodel.infra.fileio import object_id
from gitmodel.repo import git

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

FILE = "hooktree"
FORMAT = 2  # 2: the header carries a CRC-32 of the offsets and the raw tree
TREE = "40000"


class KeptTree:
    """A tree's id, raw bytes, and the offset of each entry in them."""

    def __init__(self, oid: str, raw: bytes, offsets: list[int]) -> None:
        self.oid, self.raw, self.offsets = oid, raw, offsets

    @property
    def width(self) -> int:
        return len(self.oid) // 2


def offsets_of(raw: bytes, width: int) -> list[int]:
    """Every entry's offset (a walk of the whole tree: once, when no kept tree leads to it)."""
    out, pos, size = [], 0, len(raw)
    while pos < size:
        out.append(pos)
        pos = git.tree_entry(raw, pos, width)[3]
    return out


def load(git_dir: Path | str) -> KeptTree | None:
    data = cache.load_text(cache.cache_file(git_dir, FILE), FORMAT)
    if data is None or b"\n" not in data:
        return None
    header, rest = data.split(b"\n", 1)
    fields = header.split(b" ")
    if len(fields) != 4 or not fields[1].isdigit() or not fields[2].isdigit() or not fields[3].isdigit():
        return None
    count, size = int(fields[1]), int(fields[2])
    import zlib

    # a kept tree damaged on disk would name the wrong manifests: one that fails its CRC is not used
    if len(rest) != 4 * count + size or zlib.crc32(rest) != int(fields[3]):
        return None
    offsets = memoryview(rest[: 4 * count]).cast("I").tolist()
    return KeptTree(fields[0].decode("ascii", "replace"), rest[4 * count :], offsets)


def save(git_dir: Path | str, kept: KeptTree) -> bool:
    import struct  # not array, which imports collections (~6 M instructions of the hook)
    import zlib

    body = struct.pack(f"={len(kept.offsets)}I", *kept.offsets) + kept.raw
    header = f"{kept.oid} {len(kept.offsets)} {len(kept.raw)} {zlib.crc32(body)}\n".encode()
    return cache.save_text(cache.cache_file(git_dir, FILE), FORMAT, header + body)


def read_tree(root: Path | str, oid: str) -> bytes | None:
    return git.cat_files(root, [oid], kinds=("tree",)).get(oid)


def _common_prefix(a: memoryview, b: memoryview) -> int:
    lo, hi = 0, min(len(a), len(b))  # a[:lo] == b[:lo]; the answer is in [lo, hi]
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: memoryview, b: memoryview, limit: int) -> int:
    lo, hi = 0, limit  # a[len-lo:] == b[len-lo:]
    la, lb = len(a), len(b)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[la - mid : la - lo] == b[lb - mid : lb - lo]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def delta(old: KeptTree, new_oid: str, new_raw: bytes) -> tuple[dict[str, str], KeptTree] | None:
    """The entries that differ (name → new blob id, "" when gone) and the new tree kept; None when a
    subdirectory changed or the bytes are not what a tree holds."""
    import bisect

    x, y, width, ox = old.raw, new_raw, old.width, old.offsets
    if len(new_oid) != len(old.oid):
        return None
    try:
        if x == y:
            return {}, KeptTree(new_oid, y, ox)
        mx, my = memoryview(x), memoryview(y)
        p = _common_prefix(mx, my)
        s = _common_suffix(mx, my, min(len(x), len(y)) - p)
        shift = len(y) - len(x)
        i = max(bisect.bisect_right(ox, p) - 1, 0)
        start = ox[i] if ox else 0
        floor = bisect.bisect_left(ox, len(x) - s)  # the first kept entry wholly in the equal suffix
        new_entries: dict[str, tuple[str, str]] = {}
        new_offsets: list[int] = []
        pos = start
        while pos < len(y):
            at = pos - shift  # where this offset falls in the old tree: from an old entry in the equal
            j = bisect.bisect_left(ox, at)  # suffix on, both trees hold the same entries to the end
            if floor <= j < len(ox) and ox[j] == at:
                break
            name, mode, oid, nxt = git.tree_entry(y, pos, width)
            new_offsets.append(pos)
            new_entries[name] = (mode, oid)
            pos = nxt
        stop = pos - shift  # the old offset where both trees agree to the end
        j = bisect.bisect_left(ox, stop) if pos < len(y) else len(ox)
        old_entries: dict[str, tuple[str, str]] = {}
        for k in range(i, j):
            name, mode, oid, _ = git.tree_entry(x, ox[k], width)
            old_entries[name] = (mode, oid)
    except (ValueError, UnicodeDecodeError):
        return None
    changed: dict[str, str] = {}
    for name in {*old_entries, *new_entries}:
        before, after = old_entries.get(name), new_entries.get(name)
        if before == after:
            continue
        if (before is not None and before[0] == TREE) or (after is not None and after[0] == TREE):
            return None  # a subdirectory moved: diff-tree knows its nested manifests
        changed[name] = after[1] if after is not None else ""
    offsets = ox[:i] + new_offsets + [o + shift for o in ox[j:]]
    return changed, KeptTree(new_oid, y, offsets)


def _find(kept: KeptTree, name: bytes) -> int | None:
    """The offset of the blob entry `name`: a binary search over the sorted entries (git sorts a tree's
    names as bytes, a subdirectory's as if it ended in `/`)."""
    lo, hi = 0, len(kept.offsets)
    while lo < hi:
        mid = (lo + hi) // 2
        entry, mode, _, _ = git.tree_entry(kept.raw, kept.offsets[mid], kept.width)
        key = entry.encode("utf-8", "surrogateescape") + (b"/" if mode == TREE else b"")
        if key == name and mode != TREE:
            return kept.offsets[mid]
        if key < name:
            lo = mid + 1
        else:
            hi = mid
    return None


def advance(old: KeptTree, changes: dict[str, str]) -> KeptTree | None:
    """The kept tree with entries' ids replaced in place (`changes`: name → new blob id, each already in the
    tree, none gone), its id computed; None when a change is not that simple."""
    raw = bytearray(old.raw)
    width = old.width
    for name, oid in changes.items():
        encoded = name.encode("utf-8", "surrogateescape")
        at = _find(old, encoded) if oid and b"/" not in encoded and len(oid) == 2 * width else None
        if at is None:
            return None
        start = raw.index(b"\0", at) + 1
        raw[start : start + width] = bytes.fromhex(oid)
    new_raw = bytes(raw)
    return KeptTree(object_id(b"tree", new_raw, width), new_raw, old.offsets)
