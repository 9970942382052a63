"""git's listing of an index or a commit (`ls-files --stage -z`, `ls-tree -r -z`), searched as text.

At 10,000 models an index holds 30,000 paths; parsing each into an entry cost the commit hook ~0.1 s when it
judges one model. A listing keeps git's output as one string and answers the few questions the gate asks —
an entry, the paths under a directory, the paths that fold to a name — by searching it: git writes each record
as `<meta>\\t<path>\\0` (the meta holds no tab) and sorts the records by path bytes, so the paths under a
directory are contiguous. A path may itself contain a tab: every match is checked to start right after its
record's first tab, so a path's inner text is never taken for another path. A search costs ~0.3 ms at 30,000
paths: past `MANY` questions (`check --base` over a large change) the listing is parsed once and answered from
a dict and a sorted list instead.
"""

from __future__ import annotations

from gitmodel.repo.git import IndexEntry, fold_path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

MANY = 64  # questions answered by searching the text before the listing is parsed once


class Listing:
    """Path → IndexEntry over git's `-z` output (`ls-files --stage`: `mode oid stage`; `ls-tree`: `mode type
    oid`; non-blob rows of a tree are not given to it)."""

    def __init__(self, text: str, *, tree: bool = False) -> None:
        self.text = text
        self._oid_at = 2 if tree else 1  # the blob id's field in the meta
        self._folded: dict[str, list[str]] | None = None
        self._lowered: str | None = None
        self._plain: bool | None = None
        self._asked = 0
        self._parsed: dict[str, IndexEntry] | None = None
        self._sorted: list[str] = []

    @classmethod
    def of(cls, entries: dict[str, IndexEntry]) -> Listing:
        """A listing of entries already parsed (sorted here as git sorts: by path bytes)."""
        ordered = sorted(entries.values(), key=lambda e: e.path.encode("utf-8", "surrogateescape"))
        return cls("".join(f"{e.mode} {e.oid} 0\t{e.path}\0" for e in ordered))

    # ------------------------------------------------------------------------------------------ search

    def _record_start(self, tab: int) -> int | None:
        """Where the record whose path begins after `tab` starts, when `tab` is its first tab; else None."""
        start = self.text.rfind("\0", 0, tab) + 1
        return start if self.text.find("\t", start, tab) < 0 else None

    def _matches(self, needle: str, text: str | None = None) -> Iterator[int]:
        """Offsets of the tabs that begin a path starting with `needle[1:]` (`needle` starts with a tab)."""
        haystack = self.text if text is None else text
        at = haystack.find(needle)
        while at >= 0:
            if self._record_start(at) is not None:
                yield at
            at = haystack.find(needle, at + 1)

    def _entry_at(self, tab: int) -> IndexEntry:
        start = self._record_start(tab)
        assert start is not None
        end = self.text.index("\0", tab)
        meta = self.text[start:tab].split(" ")
        return tuple.__new__(IndexEntry, (meta[0], meta[self._oid_at], self.text[tab + 1 : end]))

    def _parse(self) -> dict[str, IndexEntry] | None:
        """The parsed listing once `MANY` questions were asked, else None (search the text)."""
        if self._parsed is None:
            self._asked += 1
            if self._asked <= MANY:
                return None
            make = tuple.__new__
            self._parsed = {}
            for record in self.text.split("\0"):
                if record:
                    meta, _, path = record.partition("\t")
                    fields = meta.split(" ")
                    self._parsed[path] = make(IndexEntry, (fields[0], fields[self._oid_at], path))
            self._sorted = sorted(self._parsed)
        return self._parsed

    def get(self, path: str) -> IndexEntry | None:
        parsed = self._parse()
        if parsed is not None:
            return parsed.get(path)
        for tab in self._matches(f"\t{path}\0"):
            return self._entry_at(tab)
        return None

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and self.get(path) is not None

    def under(self, prefix: str) -> list[str]:
        """The paths starting with `prefix` (a directory's, with its `/`): contiguous in any lexicographic order."""
        if self._parse() is not None:
            import bisect

            at = bisect.bisect_left(self._sorted, prefix)
            out = []
            while at < len(self._sorted) and self._sorted[at].startswith(prefix):
                out.append(self._sorted[at])
                at += 1
            return out
        for tab in self._matches(f"\t{prefix}"):
            out = []
            while tab >= 0:
                end = self.text.index("\0", tab)
                path = self.text[tab + 1 : end]
                if not path.startswith(prefix):
                    break
                out.append(path)
                tab = self.text.find("\t", end)
            return out
        return []

    def paths(self) -> list[str]:
        """Every path (parsed whole: only where a question concerns them all)."""
        return [record.partition("\t")[2] for record in self.text.split("\0") if record]

    # ------------------------------------------------------------------------------------- look-alikes

    def lookalikes(self, pinned: str) -> list[str]:
        """Other paths that are `pinned` (or inside it) on a case-insensitive, normalization-insensitive
        checkout (`Prompts/x.txt` for `prompts/x.txt`): there git writes both to one file."""
        key, inside = fold_path(pinned), pinned.rstrip("/") + "/"
        if self._plain is None:
            # when no path needs more than lower() to fold (ASCII, no component ending in a dot or space),
            # the folded listing is the listing lowered at once: searched, not folded path by path
            self._plain = self.text.isascii() and not any(s in self.text for s in (" /", "./", " \0", ".\0"))
            self._lowered = self.text.lower() if self._plain else None
        is_dir = pinned not in self and bool(self.under(inside))
        if self._lowered is not None:
            found = [self.text[tab + 1 : self.text.index("\0", tab)]
                     for tab in self._matches(f"\t{key}\0", self._lowered)]
            if is_dir:
                found += [path for tab in self._matches(f"\t{key.rstrip('/')}/", self._lowered)
                          if not (path := self.text[tab + 1 : self.text.index("\0", tab)]).startswith(inside)]
            return sorted(p for p in found if p != pinned)
        if self._folded is None:
            self._folded = {}
            for p in self.paths():
                self._folded.setdefault(fold_path(p), []).append(p)
        found = [p for p in self._folded.get(key, []) if p != pinned]
        if is_dir:
            key_inside = key.rstrip("/") + "/"
            found += [p for k, ps in self._folded.items() if k.startswith(key_inside)
                      for p in ps if not p.startswith(inside)]
        return sorted(found)
