"""The commit hook's path index: which models a staged path concerns, in time proportional to the commit.

`<git dir>/gitmodel/hookpaths` describes HEAD's manifests. Its first line (after the stamp of
`gitmodel.infra.cache`: format and gitmodel version) names what it describes by git's own ids — the blob
id of HEAD's `.gitmodel.yaml`, the tree id of HEAD's manifests directory, and that directory — and each
other line is `<folded path>\\t<model>`: every path a manifest pins and the manifest itself, as a macOS or
Windows checkout names them (`gitmodel.repo.git.fold_path`). It stays text so the hook never parses it
whole: a lookup is a substring search of the bytes (~0.1 ms at 10,000 models).

Kept current against HEAD, never against the index: a path that is not staged is HEAD's, so HEAD's pins
decide which models it concerns, and a staged manifest concerns its own model by name. One
`git cat-file --batch-check` gives HEAD's config blob and manifests tree; when only the tree moved (the
last commit changed a manifest), `git diff-tree` between the tree the file describes and HEAD's names the
manifests to re-read — only those are parsed. A new config, a moved manifests directory, or a missing,
corrupt or foreign file (another gitmodel version's) rebuilds it from `git ls-tree`.

Standard library, `gitmodel.repo.git` and `gitmodel.infra` only, like the hook; yaml only to parse a
manifest the parse cache has not seen.
"""

from __future__ import annotations

from gitmodel.gate import kept_tree
from gitmodel.infra import cache, pins
from gitmodel.infra.pins import esc as _esc
from gitmodel.infra.pins import unesc as _unesc
from gitmodel.repo import git

TYPE_CHECKING = False  # pathlib and re are imported where used: a commit that concerns no model needs neither
if TYPE_CHECKING:
    from pathlib import Path

FILE = "hookpaths"
FORMAT = 1
CONFIG_FILE = ".gitmodel.yaml"  # gitmodel.model.config.CONFIG_FILE; not imported: config imports yaml
DEFAULT_MANIFESTS = "models"
MANY = 64       # more candidate keys than this: split the file into a dict once rather than search it each time
REBUILD = 2000  # more changed manifests than this since the last run: rebuild rather than patch


def model_lines(manifest: str, name: str, pins: list[str]) -> bytes:
    """One model's lines: its pins and manifest, folded as a macOS/Windows checkout names them."""
    value = _esc(name)
    return b"".join(_esc(key) + b"\t" + value + b"\n" for key in sorted({git.fold_path(p) for p in [*pins, manifest]}))


class PathIndex:
    """HEAD's folded pins → model names, as the bytes of `hookpaths` (see the module docstring)."""

    def __init__(self, path: str, config: str = "", tree: str = "", manifests: str = DEFAULT_MANIFESTS,
                 body: bytes = b"\n") -> None:
        self.path = path
        self.config = config        # blob id of HEAD's config, or "absent"
        self.tree = tree            # tree id of HEAD's manifests directory, or "none"
        self.manifests = manifests
        self.body = body            # b"\n" + lines: every record follows a newline
        self._dict: dict[bytes, set[str]] | None = None

    @classmethod
    def load(cls, git_dir: Path | str) -> PathIndex:
        index = cls(cache.cache_file(git_dir, FILE))
        data = cache.load_text(index.path, FORMAT)  # None when missing or another gitmodel version's
        if data is None or not data.startswith(b"head ") or b"\n" not in data:
            return index
        header, rest = data.split(b"\n", 1)
        fields = header.decode("utf-8", "surrogateescape").split(" ", 3)
        if len(fields) != 4:
            return index
        index.config, index.tree = fields[1], fields[2]
        index.manifests = _unesc(fields[3].encode("utf-8", "surrogateescape"))
        index.body = b"\n" + rest
        return index

    def save(self) -> bool:
        header = f"head {self.config} {self.tree} ".encode() + _esc(self.manifests) + b"\n"
        return cache.save_text(self.path, FORMAT, header + self.body[1:])

    # ------------------------------------------------------------------------------------------- lookup

    def names_for(self, keys: list[str]) -> set[str]:
        """Models whose pins or manifest fold to one of `keys` (folded paths)."""
        found: set[str] = set()
        if len(keys) > MANY:
            if self._dict is None:
                self._dict = {}
                for line in self.body.split(b"\n"):
                    field, _, value = line.partition(b"\t")
                    if value:
                        self._dict.setdefault(field, set()).add(_unesc(value))
            for wanted in keys:
                found |= self._dict.get(_esc(wanted), set())
            return found
        for wanted in keys:
            needle = b"\n" + _esc(wanted) + b"\t"
            at = self.body.find(needle)
            while at >= 0:
                start = at + len(needle)
                found.add(_unesc(self.body[start : self.body.index(b"\n", start)]))
                at = self.body.find(needle, start)
        return found

    def pins(self, key: str) -> bool:
        """Whether HEAD pins the folded path `key` (or has it as a manifest) for some model."""
        return b"\n" + _esc(key) + b"\t" in self.body

    def affected(self, staged: list[str]) -> set[str]:
        """Names of the models a staged path concerns: its manifest, or a path it pins (or a file inside a
        pinned directory), also as a macOS/Windows checkout names them (`Prompts/x.txt`, NFD, `x.txt.`)."""
        prefix = self.manifests.rstrip("/") + "/"
        names: set[str] = set()
        keys: set[str] = set()
        for path in staged:
            if path.startswith(prefix) and path.endswith(".yaml"):
                names.add(path[len(prefix) : -len(".yaml")])
                continue
            parts = path.split("/")
            keys.update(git.fold_path("/".join(parts[:i])) for i in range(len(parts), 0, -1))
        return names | self.names_for(sorted(keys))

    # ------------------------------------------------------------------------------------------- update

    def drop(self, name: str) -> None:
        """Remove the model's lines: each ends in `\t<name>\n`, which no other line holds (no field holds a tab)."""
        needle, body = b"\t" + _esc(name) + b"\n", self.body
        kept, pos = [], 0
        at = body.find(needle)
        while at >= 0:
            kept.append(body[pos : body.rfind(b"\n", 0, at) + 1])
            pos = at + len(needle)
            at = body.find(needle, pos)
        if kept:
            self.body = b"".join([*kept, body[pos:]])
        self._dict = None

    def add(self, lines: bytes) -> None:
        self.body += lines
        self._dict = None


def _head_ids(root: Path | str, manifests: str) -> tuple[str, str]:
    """(blob id | "absent", tree id | "none") of HEAD's config and manifests directory: one git call."""
    config, tree = f"HEAD:{CONFIG_FILE}", f"HEAD:{manifests.rstrip('/')}"
    found = git.object_info(root, [config, tree])
    ids = [info[0] if (info := found.get(spec)) is not None and info[1] == want else ""
           for spec, want in ((config, "blob"), (tree, "tree"))]
    return ids[0] or "absent", ids[1] or "none"


def _pins_of(root: Path | str, oids: dict[str, str], memo: object, git_dir: Path | str | None = None
             ) -> dict[str, list[str]]:
    """Manifest path → pinned paths, for manifests given by blob id: from `hookpins` (`gitmodel.infra.pins`:
    what gitmodel noted when it wrote the manifest or the hook let it in, so following HEAD imports neither
    YAML nor JSON), else parsed through the parse cache."""
    if not oids:
        return {}
    noted = pins.lookup(git_dir, sorted(set(oids.values()))) if git_dir is not None else {}
    out = {p: noted[oid] for p, oid in oids.items() if oid in noted}
    rest = {p: oid for p, oid in oids.items() if p not in out}
    if not rest:
        return out
    install = getattr(memo, "install", None)
    if install is not None:
        install()  # a manifest `gitmodel bump` wrote is known already: no YAML parse
    from gitmodel.infra.errors import GitmodelError
    from gitmodel.infra.fileio import parse_yaml, parsed_blob
    from gitmodel.model.components import pinned_paths  # what a manifest pins: the registry's one walk

    unknown = [p for p, oid in rest.items() if not parsed_blob(oid)[0]]
    blobs = git.cat_files(root, [rest[p] for p in unknown])
    for path, oid in rest.items():
        known, doc = parsed_blob(oid)
        if not known:
            try:
                doc = parse_yaml(blobs.get(oid) or b"", where=path)
            except GitmodelError:
                doc = None  # judged (and reported) by the full check whenever it is staged
        out[path] = pinned_paths(doc)
    return out


EXPECT_FILE = "hookexpect"
EXPECT_FORMAT = 1  # "<from tree> <to tree>\n" then "<path>\t<blob id>\n" per manifest: the commit the hook let in


def _load_expect(git_dir: Path | str, old_tree: str, new_tree: str) -> dict[str, str] | None:
    """The changes the hook expected to take the manifests tree from `old_tree` to `new_tree`, if it did."""
    data = cache.load_text(cache.cache_file(git_dir, EXPECT_FILE), EXPECT_FORMAT)
    if data is None or not data.startswith(f"{old_tree} {new_tree}\n".encode()) or not data.endswith(b"\n"):
        return None
    changes: dict[str, str] = {}
    for line in data.split(b"\n")[1:-1]:
        path, _, oid = line.rpartition(b"\t")
        changes[_unesc(path)] = oid.decode("ascii", "replace")
    return changes


def note_staged(root: Path, git_dir: Path, paths: dict[str, str], memo: object, index: PathIndex | None = None
                ) -> None:
    """Remember the pins of the staged manifests `paths` (path → blob id, "" when deleted) by blob id, and
    the tree their commit will give the manifests directory, for the run after they are committed. `index`:
    the path index `for_head` gave this run (else it is read again)."""
    staged = {p: oid for p, oid in paths.items() if oid}
    if not staged:
        return
    found = _pins_of(root, staged, memo, git_dir)
    pins.remember(git_dir, {staged[p]: found[p] for p in staged})
    index = index or PathIndex.load(git_dir)
    prefix = index.manifests.rstrip("/") + "/"
    tree = None
    if set(staged) == set(paths) and all(p.startswith(prefix) for p in paths):
        # the tree the commit will give the manifests directory: the next run then compares no trees
        tree = expected_tree(root, git_dir, index.tree, prefix, staged)
    body = b"" if tree is None else f"{index.tree} {tree}\n".encode() + b"".join(
        _esc(p) + b"\t" + oid.encode() + b"\n" for p, oid in sorted(staged.items()))
    cache.save_text(cache.cache_file(git_dir, EXPECT_FILE), EXPECT_FORMAT, body)


def _rebuild(root: Path | str, index: PathIndex, memo: object) -> None:
    prefix = index.manifests.rstrip("/") + "/"
    listing = git.ls_tree(root, "HEAD", [prefix]) if index.tree != "none" else {}
    oids = {p: e.oid for p, e in listing.items() if p.startswith(prefix) and p.endswith(".yaml")}
    pins = _pins_of(root, oids, memo)
    index.body = b"\n" + b"".join(model_lines(p, p[len(prefix) : -len(".yaml")], pins[p]) for p in sorted(pins))
    index._dict = None


def _changed_trees(root: Path | str, prefix: str, old_tree: str, new_tree: str) -> dict[str, str] | None:
    """Manifest path → new blob id ("" when deleted) between two manifests trees (`git diff-tree`)."""
    from gitmodel.repo.staged import parse_raw_diff  # the same --raw records as the hook's `diff --cached`

    raw = git.run(root, "diff-tree", "-r", "-z", "--no-renames", "--no-abbrev", old_tree, new_tree, check=False)
    if raw.returncode != 0:
        return None
    return {prefix + path: entry.oid if entry is not None else ""
            for path, entry in parse_raw_diff(raw.stdout).items() if path.endswith(".yaml")}


def _kept(root: Path | str, git_dir: Path | str, tree: str) -> kept_tree.KeptTree | None:
    """The manifests tree `tree` as `gitmodel.gate.kept_tree` keeps it: from its file when it holds that
    tree, else read from git (and its entries walked) and kept."""
    kept = kept_tree.load(git_dir)
    if kept is not None and kept.oid == tree:
        return kept
    return _keep(root, git_dir, tree)


def _keep(root: Path | str, git_dir: Path | str, tree: str, raw: bytes | None = None) -> kept_tree.KeptTree | None:
    """The manifests tree `tree` (its bytes `raw`, else read from git), its entries walked, and kept."""
    raw = raw if raw is not None else kept_tree.read_tree(root, tree)
    if raw is None:
        return None
    try:
        kept = kept_tree.KeptTree(tree, raw, kept_tree.offsets_of(raw, len(tree) // 2))
    except ValueError:
        return None
    kept_tree.save(git_dir, kept)
    return kept


def expected_tree(root: Path | str, git_dir: Path | str, tree: str, prefix: str, staged: dict[str, str]) -> str | None:
    """The id the manifests tree `tree` gets when the manifests `staged` (path → blob id, each already in
    it, directly under it) change to those blobs; None when that is not so simple (then the next run
    compares the trees). Used only when HEAD's tree id equals it, which proves the tree."""
    if tree in ("", "none") or not staged:
        return None
    kept = _kept(root, git_dir, tree)
    moved = kept_tree.advance(kept, {p[len(prefix) :]: oid for p, oid in staged.items()}) if kept else None
    return moved.oid if moved is not None else None


def _changed(root: Path | str, git_dir: Path | str, prefix: str, old_tree: str, new_tree: str,
             expect: dict[str, str] | None) -> dict[str, str] | None:
    """Manifest path → new blob id ("" when deleted) between two manifests trees: the changes the hook
    expected (the commit it let in), else the kept old tree compared with the new one, else `git diff-tree`.
    The new tree is kept for the next move."""
    loaded = kept_tree.load(git_dir)
    kept = loaded if loaded is not None and loaded.oid == old_tree else None
    if expect is not None:
        moved = kept_tree.advance(kept, {p[len(prefix) :]: oid for p, oid in expect.items()}) if kept else None
        if moved is not None and moved.oid == new_tree:
            kept_tree.save(git_dir, moved)
        return expect
    raw = kept_tree.read_tree(root, new_tree) if kept is not None else None
    found = kept_tree.delta(kept, new_tree, raw) if kept is not None and raw is not None else None
    if found is None:
        changed = _changed_trees(root, prefix, old_tree, new_tree)
        if loaded is None or loaded.oid != new_tree:  # kept from the file already read and the bytes in hand
            _keep(root, git_dir, new_tree, raw)
        return changed
    names, moved = found
    kept_tree.save(git_dir, moved)
    return {prefix + name: oid for name, oid in names.items() if name.endswith(".yaml")}


def _patch(root: Path | str, git_dir: Path | str, index: PathIndex, old_tree: str, memo: object) -> bool:
    """Apply the manifests changed between `old_tree` and `index.tree`; False when a rebuild is cheaper."""
    prefix = index.manifests.rstrip("/") + "/"
    expected = _load_expect(git_dir, old_tree, index.tree)  # the commit the hook let in, if it is HEAD's
    changed = _changed(root, git_dir, prefix, old_tree, index.tree, expected)
    if changed is None or len(changed) > REBUILD:
        return False
    pins = _pins_of(root, {p: oid for p, oid in changed.items() if oid}, memo, git_dir)
    for path in changed:
        name = path[len(prefix) : -len(".yaml")]
        index.drop(name)
        if path in pins:
            index.add(model_lines(path, name, pins[path]))
    return True


def for_head(root: Path | str, git_dir: Path | str, memo: object = None) -> PathIndex:
    """The path index brought up to date with HEAD (see the module docstring); saved when it moved."""
    index = PathIndex.load(git_dir)
    config, tree = _head_ids(root, index.manifests)
    if config == index.config and tree == index.tree:
        return index
    if config != index.config:
        if config != "absent":
            install = getattr(memo, "install", None)
            if install is not None:
                install()
        manifests = manifests_dir(root, f"HEAD:{CONFIG_FILE}") if config != "absent" else DEFAULT_MANIFESTS
        if manifests != index.manifests:
            index.manifests = manifests
            config, tree = _head_ids(root, manifests)
        index.config, index.tree = config, tree
        _rebuild(root, index, memo)
    else:
        old, index.tree = index.tree, tree
        if old in ("", "none") or tree == "none" or not _patch(root, git_dir, index, old, memo):
            _rebuild(root, index, memo)
    index.save()
    return index


# ----------------------------------------------------------------------------- what a change concerns


def manifests_dir(root: Path | str, spec: str) -> str:
    """The manifests directory the config at `spec` names (`:<config>`: the STAGED one, never the working
    tree's: issue 13, item 5; `HEAD:<config>` for the path index)."""
    from gitmodel.infra.fileio import parse_yaml
    from gitmodel.model.config import from_dict

    blob = git.cat_files(root, [spec]).get(spec)
    if blob is None:
        return DEFAULT_MANIFESTS
    where = f"{CONFIG_FILE} ({'index' if spec.startswith(':') else spec.split(':', 1)[0]})"
    return from_dict(parse_yaml(blob, where=where), where=where).manifests


def config_touched(paths: list[str]) -> bool:
    """The config, or a path that IS it on a macOS/Windows checkout, is among `paths`: every model is concerned
    (a new policy or manifests directory)."""
    key = git.fold_path(CONFIG_FILE)
    return any(len(p) >= len(CONFIG_FILE) and git.fold_path(p) == key for p in paths if "/" not in p)


def check_scope(root: Path, *, staged: bool, base: str | None) -> set[str] | None:
    """The models `check --staged` and `check --base REV` judge: those whose manifest or pinned paths changed
    (staged against HEAD; the index, or HEAD, against REV), as the hook narrows a commit, and with --base also
    every model with a tag on a commit REV does not contain (a release made since REV can make an unchanged
    manifest's version a step back: a revert). None (every model) when the config changed, REV is unknown
    (the check then says so) or there is no commit yet."""
    if git.head_commit(root) is None:
        return None
    args = ["diff", "--name-only", "-z", "--no-renames", "--no-ext-diff"]
    tagged: set[str] = set()
    if base is not None:
        commit = git.resolve_commit(root, base)
        if commit is None:
            return None
        args += ["--cached", commit] if staged else [commit, "HEAD"]
        from gitmodel.repo.tags import parse_tag_name

        for row in git.for_each_ref(root, [f"--no-merged={commit}", "refs/tags"], ["%(refname:strip=2)"]):
            parsed = parse_tag_name(row[0]) if row else None
            if parsed is not None:
                tagged.add(parsed[1]["name"])
    else:
        args += ["--cached"]
    paths = [p.decode("utf-8", "surrogateescape") for p in git.run(root, *args).stdout.split(b"\0") if p]
    if config_touched(paths):
        return None
    return for_head(root, git.git_dir(root)).affected(paths) | tagged
