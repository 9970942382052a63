"""A registry read straight from a git remote, without a clone.

`git ls-remote` lists the release and stage tags (no clone); the tag objects and their commits arrive with a
shallow fetch that stops at the root tree, and only the trees and blobs a command reads (a release's
manifest, the config, `.dvc/config`, the pointers) are fetched after that, into a per-user cache:

    $GITMODEL_CACHE_DIR (else $XDG_CACHE_HOME/gitmodel, else ~/.cache/gitmodel)
      repos/<url hash>/        a repository with no checkout: `.git` holds the objects fetched so far
                               (a partial clone whose promisor is the URL, so a blob a reader needs and
                               nobody prefetched is fetched on demand), and beside it the two files a
                               reader opens by path — `.gitmodel.yaml` and `.dvc/config` — as the commit
                               being read holds them
      locks/<url hash>.lock    one writer at a time per URL

Every reader of gitmodel/repo (tags.py, reading.py, refs.py, history.py) takes a repository root and runs
git there: given that directory, they read the remote's state unchanged. Nothing is written to the current
directory.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from gitmodel.infra.errors import ExternalFailure
from gitmodel.infra.fileio import atomic_write
from gitmodel.infra.locks import exclusive
from gitmodel.repo import git
from gitmodel.repo.tags import TagIndex, parse_ref

# scp-like `host:path` or `user@host:path`: git's own rule is "a colon before the first slash"
_SCP_LIKE = re.compile(r"^(?:[^@/:]+@)?[^/:]{2,}:(?!//)")
_CONFIG_FILES = (".gitmodel.yaml", ".dvc/config")
# what `ls` and `show NAME` read at the remote's HEAD arrives in one fetch: manifests, pointers, configs
_SMALL_BLOBS = "blob:limit=65536"
OFFLINE_ENV = "GITMODEL_OFFLINE_OK"


def cache_home() -> Path:
    """The per-user cache: $GITMODEL_CACHE_DIR, else $XDG_CACHE_HOME/gitmodel, else ~/.cache/gitmodel."""
    explicit = os.environ.get("GITMODEL_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser().absolute()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return Path(xdg or os.path.expanduser("~/.cache")).absolute() / "gitmodel"


def offline_allowed(offline_ok: bool | None) -> bool:
    """The caller's choice, else the environment's (GITMODEL_OFFLINE_OK=1)."""
    if offline_ok is not None:
        return offline_ok
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def is_remote(repo: str | os.PathLike[str]) -> bool:
    """A URL (`scheme://`, `file://`, scp-like `host:path`) or a path to a bare repository: read remotely.
    A path inside a work tree is the local mode of every command."""
    text = os.fspath(repo)
    if "://" in text:
        return True
    if _SCP_LIKE.match(text) and not os.path.exists(text):
        return True
    path = Path(text)
    if not path.is_dir():
        return False
    result = git.run(path, "rev-parse", "--is-bare-repository", check=False, env=git.no_git_env())
    return result.returncode == 0 and result.text.strip() == "true"


def canonical_url(repo: str | os.PathLike[str]) -> str:
    """The URL git is given: a local path made absolute (the cache is keyed by it)."""
    text = os.fspath(repo)
    if "://" in text or (_SCP_LIKE.match(text) and not os.path.exists(text)):
        return text
    return os.path.abspath(text)


def url_key(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:24]


def _env() -> dict[str, str]:
    env = git.no_git_env()
    env["GIT_TERMINAL_PROMPT"] = "0"  # a serving host has nobody to type a password
    return env


def _quiet_env() -> dict[str, str]:
    env = _env()
    env["GIT_NO_LAZY_FETCH"] = "1"  # asking whether an object is here must not fetch it
    return env


def _git(root: Path, *args: str, input: bytes | None = None) -> git.GitResult:
    return git.run(root, "-c", "gc.auto=0", "-c", "maintenance.auto=false", *args, input=input, env=_env())


def shown_url(url: str) -> str:
    """The URL as messages show it: a password or token in it (`https://user:TOKEN@host/...`) is never printed."""
    return re.sub(r"^([a-z][a-z0-9+.-]*://)[^/@]*@", r"\1***@", url, flags=re.IGNORECASE)


class RemoteRepo:
    """A git remote read through its cache directory: `root` is what every reader is given."""

    def __init__(self, url: str, root: Path, lock: Path) -> None:
        self.url = url
        self.shown = shown_url(url)
        self.root = root
        self.lock = lock
        self.offline = False        # the remote could not be reached: the cache answers as it was
        self.offline_reason = ""
        self.warnings: list[str] = []
        self.state = ""             # a digest of the listed refs: equal digests, same registry state

    @property
    def key(self) -> str:
        return url_key(self.url)


def _init(root: Path, url: str) -> None:
    if (root / ".git" / "HEAD").exists():
        return
    root.mkdir(parents=True, exist_ok=True)
    git.run(root, "init", "-q", env=_env())
    for key, value in (("remote.origin.url", url), ("remote.origin.promisor", "true"),
                       ("remote.origin.partialclonefilter", "blob:none"), ("core.repositoryformatversion", "1"),
                       ("extensions.partialclone", "origin"), ("gc.auto", "0"), ("maintenance.auto", "false")):
        git.run(root, "config", key, value, env=_env())


def open_remote(repo: str | os.PathLike[str], *, names: set[str] | None = None, head: bool = False,
                offline_ok: bool | None = None) -> RemoteRepo:
    """Bring the remote's release and stage tags (of `names`, or all) — and its HEAD when `head` — into the
    cache, listed by `git ls-remote`, only what changed fetched. An unreachable remote raises ExternalFailure,
    or with `offline_ok` (GITMODEL_OFFLINE_OK=1) leaves the cache as it was and marks the result offline."""
    url = canonical_url(repo)
    home = cache_home()
    remote = RemoteRepo(url, home / "repos" / url_key(url), home / "locks" / f"{url_key(url)}.lock")
    patterns = ["refs/tags/*"] if names is None else \
        [f"refs/tags/{name}{sep}" for name in sorted(names) for sep in ("@*", "#*")]
    with exclusive(remote.lock):
        _init(remote.root, url)
        listing = git.run(remote.root, "ls-remote", "--symref", "origin", *(["HEAD"] if head else []), *patterns,
                          check=False, env=_env())
        if listing.returncode != 0:
            lines = listing.stderr.decode("utf-8", "replace").strip().splitlines()
            detail = re.sub(r"([a-z][a-z0-9+.-]*://)[^/@\s']*@", r"\1***@", lines[-1] if lines else
                            f"exit {listing.returncode}", flags=re.IGNORECASE)
            if not offline_allowed(offline_ok):
                raise ExternalFailure(f"cannot reach the git remote: {detail.removeprefix('fatal: ')}",
                                      where=remote.shown,
                                      hint="check the URL and the network; to serve the last verified files "
                                           f"during an outage pass offline_ok=True (or {OFFLINE_ENV}=1)")
            remote.offline = True
            remote.offline_reason = detail.removeprefix("fatal: ")
            remote.warnings.append(f"git remote {remote.shown} unreachable ({remote.offline_reason}): answering from "
                                   "the cache as last fetched")
            return remote
        _sync(remote, listing.text, names, head)
    return remote


def _parse_listing(text: str) -> tuple[dict[str, str], str | None]:
    refs: dict[str, str] = {}
    head: str | None = None
    for line in text.splitlines():
        if line.startswith("ref: ") or "\t" not in line:
            continue
        oid, ref = line.split("\t", 1)
        if ref == "HEAD":
            head = oid
        elif not ref.endswith("^{}"):
            refs[ref] = oid
    return refs, head


def _sync(remote: RemoteRepo, listing: str, names: set[str] | None, head: bool) -> None:
    root = remote.root
    wanted, head_oid = _parse_listing(listing)
    remote.state = hashlib.sha256("".join(f"{ref} {oid}\n" for ref, oid in sorted(wanted.items())).encode()
                                  + (head_oid or "").encode()).hexdigest()
    local = {row[0]: row[1] for row in git.for_each_ref(root, "refs/tags", ["%(refname)", "%(objectname)"])}
    if names is not None:  # only this model's tags were listed: leave the others' alone
        local = {ref: oid for ref, oid in local.items()
                 if parse_ref_name(ref.removeprefix("refs/tags/")) in names}
    changed = [ref for ref, oid in wanted.items() if local.get(ref) != oid]
    gone = [ref for ref in local if ref not in wanted]
    if changed:
        spec = "".join(f"+{ref}:{ref}\n" for ref in changed)
        _git(root, "fetch", "-q", "--stdin", "--depth=1", "--filter=tree:1", "--no-tags", "--no-write-fetch-head",
             "origin", input=spec.encode("utf-8"))
    if gone:  # deleted (or deregistered by deletion) on the remote
        git.run(root, "update-ref", "--stdin", input="".join(f"delete {ref}\n" for ref in gone).encode("utf-8"),
                env=_env())
    if head and head_oid is not None and git.resolve_commit(root, "HEAD") != head_oid:
        _git(root, "-c", "fetch.negotiationAlgorithm=noop", "fetch", "-q", "--depth=1", f"--filter={_SMALL_BLOBS}",
             "--no-tags", "--no-write-fetch-head", "origin", head_oid)
        git.run(root, "update-ref", "--no-deref", "HEAD", head_oid, env=_env())
        materialize(remote, head_oid)


def parse_ref_name(tag: str) -> str:
    """The model a tag name belongs to (the part before `@` or `#`)."""
    return re.split(r"[@#]", tag, maxsplit=1)[0]


def _absent(root: Path, oids: Iterable[str]) -> list[str]:
    """The objects not in the cache (one `cat-file -e` each: in a partial clone a batch check of a missing
    object is fatal rather than reported, and the lists asked about here are a few pointers long)."""
    env = _quiet_env()
    return [oid for oid in dict.fromkeys(oids)
            if git.run(root, "cat-file", "-e", oid, check=False, env=env).returncode != 0]


def _fetch_objects(root: Path, oids: Sequence[str], filter_spec: str) -> None:
    if oids:
        _git(root, "-c", "fetch.negotiationAlgorithm=noop", "fetch", "-q", "--stdin", f"--filter={filter_spec}",
             "--no-tags", "--no-write-fetch-head", "origin", input=("\n".join(oids) + "\n").encode())


def _children(root: Path, tree: str) -> dict[str, tuple[str, str]]:
    """name → (type, oid) of one tree's entries (the tree is local)."""
    out: dict[str, tuple[str, str]] = {}
    for record in git.run(root, "ls-tree", "-z", tree, env=_quiet_env()).stdout.split(b"\0"):
        if record:
            meta, name = record.split(b"\t", 1)
            _mode, kind, oid = meta.decode().split(" ")
            out[name.decode("utf-8", "surrogateescape")] = (kind, oid)
    return out


def _trees_along(root: Path, commit: str, paths: Sequence[str]) -> None:
    """Only the trees on the way to `paths` (and a directory path's whole subtree), one fetch per depth: in a
    monorepo the thousand other models' directories are never fetched."""
    # the commit's own header names its tree (`rev-parse C^{tree}` would need the tree object itself)
    header = git.run(root, "cat-file", "commit", commit, check=False, env=_quiet_env())
    if header.returncode != 0 or not header.text.startswith("tree "):
        return
    wanted = [tuple(p.strip("/").split("/")) for p in paths if p.strip("/")]
    level: dict[tuple[str, ...], str] = {(): header.text.split("\n", 1)[0].split(" ", 1)[1]}
    whole: list[str] = []  # directories asked for as such: every tree below them
    while level:
        _fetch_objects(root, _absent(root, level.values()), "tree:0")
        following: dict[tuple[str, ...], str] = {}
        for prefix, oid in level.items():
            depth = len(prefix)
            below = {w[depth] for w in wanted if len(w) > depth and w[:depth] == prefix}
            if not below:
                continue
            for name, (kind, child) in _children(root, oid).items():
                if name not in below or kind != "tree":
                    continue
                if prefix + (name,) in wanted:
                    whole.append(child)
                else:
                    following[prefix + (name,)] = child
        level = following
    _fetch_objects(root, _absent(root, whole), "blob:none")


def hydrate(remote: RemoteRepo, commit: str, paths: Sequence[str]) -> None:
    """Make the trees on the way to `paths` (files or directories) of `commit`, and their blobs, local: a fetch
    per tree depth, one for the blobs. Paths the commit does not hold are skipped; offline, whatever is
    missing stays missing (a reader then fetches on demand, or fails)."""
    if remote.offline or not paths:
        return
    root = remote.root
    _trees_along(root, commit, paths)
    entries = git.ls_tree(root, commit, paths)
    _fetch_objects(root, _absent(root, [e.oid for e in entries.values()]), "blob:none")


def materialize(remote: RemoteRepo, commit: str, also: Sequence[str] = ()) -> None:
    """Write `.gitmodel.yaml` and `.dvc/config` beside the cache's git dir as `commit` holds them (removed
    when it has none), and the user-level `.dvc/config.local`: DVC's cache is the per-user one, and no git.
    The paths `also` names are made local in the same fetches."""
    root = remote.root
    hydrate(remote, commit, [*_CONFIG_FILES, *also])
    blobs = git.cat_files(root, [f"{commit}:{path}" for path in _CONFIG_FILES])
    for path in _CONFIG_FILES:
        blob = blobs.get(f"{commit}:{path}")
        target = root / path
        if blob is None:
            target.unlink(missing_ok=True)
        elif not target.exists() or target.read_bytes() != blob:
            atomic_write(target, blob, durable=False)
    local = (f"[core]\n    no_scm = true\n[cache]\n    dir = {cache_home() / 'dvc-cache'}\n").encode()
    config_local = root / ".dvc" / "config.local"
    if not config_local.exists() or config_local.read_bytes() != local:
        atomic_write(config_local, local, durable=False)


def release_commit(tags: TagIndex, ref: str) -> str | None:
    """The commit `NAME`, `NAME@vX.Y.Z` or `NAME#STAGE` names, when the tags say (for prefetching; the
    readers decide what is served and refuse what is wrong)."""
    from gitmodel.model import semver
    from gitmodel.repo.refs import current_stages

    name, version, stage = parse_ref(ref)
    if stage is not None:
        version = current_stages(tags, name).get(stage)
        if version is None:
            return None
    if version is None:
        latest = tags.latest(name)
        return latest.commit if latest else None
    try:
        found = tags.release(name, semver.parse(version))
    except Exception:  # noqa: BLE001 - a bad version is reported by the reader
        return None
    return found.commit if found else None


def manifest_guess(tags: TagIndex, ref: str, commit: str) -> str:
    """The manifest path the release's tag message records (`manifest:`), else the default layout."""
    name = parse_ref(ref)[0]
    for release in tags.releases.get(name, []):
        if release.commit == commit:
            return release.meta("manifest") or f"models/{name}.yaml"
    return f"models/{name}.yaml"
