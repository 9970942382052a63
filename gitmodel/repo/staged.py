"""What a commit would record, told by HEAD and the staged changes: the commit hook's index source.

`git ls-files --stage` lists the whole index: at 10,000 models (30,000 paths) it cost the hook more than all
the rest of a one-model check. The hook already holds `git diff --cached --raw` — every path whose staged
entry differs from HEAD's, with its new mode and blob id — so any other path's entry is HEAD's, read with
`git ls-tree` for just the paths the check asks about (one call for the paths it names ahead:
`Source.expect`). Intent-to-add entries are not in that diff and not in the commit either.

Look-alikes (`Prompts/x.txt` beside a pinned `prompts/x.txt`, one file on a macOS or Windows checkout) are
looked for among the staged paths when HEAD already pins the path (for any model): a look-alike HEAD holds
was judged when it was committed, because a staged path that folds onto a pin concerns that pin's model
(`gitmodel.gate.hook_index`). A path HEAD pins for no model — a pin new in this commit — is judged against
the whole index, as before. What this leaves out is a look-alike that reached HEAD past both the hook
(`--no-verify`) and CI (`gitmodel check --base`); `gitmodel check` lists the whole tree and finds it.
"""

from __future__ import annotations

from gitmodel.repo import git
from gitmodel.repo.git import IndexEntry, fold_path
from gitmodel.repo.listing import Listing

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

DELETED = "000000"  # the new mode `diff --raw` gives a path the commit deletes
MANY = 512          # more paths than this to look up: list the whole index once instead (and no argv limit)
BIG_TREE = 1 << 16  # a directory's tree larger than this (~1,500 entries) is searched by git, not parsed here


def parse_raw_diff(raw: bytes) -> dict[str, IndexEntry | None]:
    """`git diff --cached --raw -z --no-renames` → path → its staged entry (None when the commit deletes it)."""
    fields = raw.split(b"\0")
    out: dict[str, IndexEntry | None] = {}
    make = tuple.__new__
    for i in range(0, len(fields) - 1, 2):
        meta = fields[i].decode().split(" ")  # ":<old mode> <new mode> <old id> <new id> <status>"
        path = fields[i + 1].decode("utf-8", "surrogateescape")
        out[path] = None if meta[1] == DELETED or meta[-1] == "D" else make(IndexEntry, (meta[1], meta[3], path))
    return out


class StagedListing:
    """The Listing questions (`get`, `under`, `lookalikes`) answered from HEAD plus the staged changes."""

    def __init__(self, root: Path, staged: dict[str, IndexEntry | None], known_pin: Callable[[str], bool]) -> None:
        self.root = root
        self.staged = staged
        self.known_pin = known_pin    # folded path → HEAD pins it (or is a manifest) for some model
        self._head: dict[str, IndexEntry] = {}
        self._covered: set[str] = set()  # paths whose HEAD entries, and those under them, are in _head
        self._wanted: set[str] = set()
        self._unborn = False
        self._full: Listing | None = None
        self._folded: dict[str, list[str]] | None = None
        self._id_width = 0

    # -------------------------------------------------------------------------------------- HEAD's part

    def _is_covered(self, path: str) -> bool:
        if self._unborn or path in self._covered:
            return True
        at = path.rfind("/")
        while at > 0:
            if path[:at] in self._covered:
                return True
            at = path.rfind("/", 0, at)
        return False

    def expect(self, paths: Iterable[str]) -> None:
        """Paths the check will ask about: fetched from HEAD together, at the first question."""
        self._wanted.update(p.rstrip("/") for p in paths if p.strip("/"))

    def _fetch(self, path: str) -> None:
        wanted = sorted(p for p in {path, *self._wanted} - self._covered if p not in self.staged)
        self._wanted.clear()
        if len(wanted) > MANY:
            self._full = self.full()
            return
        # each path's entry from its directory's tree (one `cat-file --batch`), then a pinned directory's
        # trees level by level: looking a path up in a tree costs git far less than matching a pathspec
        # against every entry of the directories on its way (`ls-tree HEAD -- PATH`: ~10 M instructions
        # for a directory of 10,000 models)
        parents = sorted({p.rpartition("/")[0] for p in wanted if "\n" not in p})
        trees = git.cat_files(self.root, ["HEAD:", *[f"HEAD:{d}" for d in parents if d]], kinds=("tree",))
        if trees["HEAD:"] is None:
            if git.run(self.root, "rev-parse", "-q", "--verify", "HEAD^{commit}", check=False).returncode == 0:
                raise git.failure("cat-file", git.GitResult(1, b"", b"HEAD's tree cannot be read"))
            self._unborn = True  # no commit yet: `diff --cached` listed every path of the index
            return
        listed: dict[str, dict[str, tuple[str, str]]] = {}  # directory → name → (mode, id)
        slow = [p for p in wanted if "\n" in p]
        for d in parents:
            content = trees.get(f"HEAD:{d}" if d else "HEAD:")
            if content is not None and len(content) > BIG_TREE:
                slow += [p for p in wanted if p.rpartition("/")[0] == d]
            else:
                listed[d] = git.tree_entries(content or b"", self._width())
        pending: list[tuple[str, str]] = []  # (directory path, tree id) whose entries are all wanted
        for p in wanted:
            d, _, name = p.rpartition("/")
            found = listed.get(d, {}).get(name) if d in listed else None
            if found is not None:
                self._add(p, *found, pending)
        while pending:
            contents = git.cat_files(self.root, [oid for _, oid in pending], kinds=("tree",))
            level, pending = pending, []
            for d, oid in level:
                for name, (mode, entry_id) in git.tree_entries(contents.get(oid) or b"", self._width()).items():
                    self._add(f"{d}/{name}", mode, entry_id, pending)
        if slow:
            self._list_slowly(slow)
        self._covered.update(wanted)

    def _width(self) -> int:
        """Bytes per object id in a tree: 20 (SHA-1) or 32 (SHA-256), as the staged ids' hex says."""
        if not self._id_width:
            some = next((e.oid for e in self.staged.values() if e is not None), None)
            if some is None:
                some = "0" * (64 if git.run(self.root, "rev-parse", "--show-object-format").text.strip() == "sha256"
                              else 40)
            self._id_width = len(some) // 2
        return self._id_width

    def _add(self, path: str, mode: str, oid: str, pending: list[tuple[str, str]]) -> None:
        if mode == "40000":
            pending.append((path, oid))
        else:
            self._head[path] = tuple.__new__(IndexEntry, (mode, oid, path))  # a tree's modes are an index's

    def _list_slowly(self, paths: list[str]) -> None:
        """`git ls-tree` for paths in a large directory or with a newline in their name."""
        # `:(literal)`: a pinned path is a name, never a pattern (`*` or `?` in it matches nothing else)
        result = git.run(self.root, "ls-tree", "-r", "-z", "--full-tree", "HEAD", "--",
                         *[f":(literal){p}" for p in paths])
        make = tuple.__new__
        for record in result.stdout.decode("utf-8", "surrogateescape").split("\0"):
            meta, _, text = record.partition("\t")
            fields = meta.split(" ")  # "<mode> <type> <id>"; submodules (type commit) are entries as in an index
            if len(fields) == 3 and fields[1] in ("blob", "commit"):
                self._head[text] = make(IndexEntry, (fields[0], fields[2], text))

    def _head_entry(self, path: str) -> IndexEntry | None:
        if not self._is_covered(path):
            self._fetch(path)
        return self._head.get(path)

    def full(self) -> Listing:
        """The whole index (`git ls-files`), for the questions HEAD and the staged paths cannot answer."""
        if self._full is None:
            self._full = Listing(git.ls_files_text(self.root))
        return self._full

    # ------------------------------------------------------------------------------------------- answers

    def get(self, path: str) -> IndexEntry | None:
        if self._full is not None:
            return self._full.get(path)
        if path in self.staged:
            return self.staged[path]
        entry = self._head_entry(path)
        return self._full.get(path) if self._full is not None else entry

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and self.get(path) is not None

    def under(self, prefix: str) -> list[str]:
        """The paths starting with `prefix` (a directory's, with its `/`), sorted as git sorts them."""
        if self._full is None and not self._is_covered(prefix.rstrip("/")):
            self._fetch(prefix.rstrip("/"))
        if self._full is not None:
            return self._full.under(prefix)
        found = {p for p in self._head if p.startswith(prefix) and p not in self.staged}
        found.update(p for p, e in self.staged.items() if e is not None and p.startswith(prefix))
        return sorted(found, key=lambda p: p.encode("utf-8", "surrogateescape"))

    def lookalikes(self, pinned: str) -> list[str]:
        """Other paths that are `pinned` (or inside it) on a case-insensitive, normalization-insensitive
        checkout, as `Listing.lookalikes` finds them (see the module docstring for where they are looked for)."""
        key = fold_path(pinned)
        if self._full is not None or not self.known_pin(key):
            return self.full().lookalikes(pinned)
        if self._folded is None:
            self._folded = {}
            for path, entry in self.staged.items():
                if entry is not None:
                    self._folded.setdefault(fold_path(path), []).append(path)
        inside = pinned.rstrip("/") + "/"
        found = [p for p in self._folded.get(key, []) if p != pinned]
        if pinned not in self and self.under(inside):
            key_inside = key.rstrip("/") + "/"
            found += [p for k, ps in self._folded.items() if k.startswith(key_inside)
                      for p in ps if not p.startswith(inside)]
        return sorted(found)
