"""Parsed manifests by content, so the commit hook need not import PyYAML for what gitmodel wrote.

`<git dir>/gitmodel/parsed-yaml12.json` maps a git blob id (sha1 of "blob <size>\\0" + bytes) to the parsed YAML
document. The same bytes always parse the same, so the cache never goes stale. `gitmodel.model.manifest.save`
records every manifest gitmodel writes (`add`, `bump`, library callers), and the hook records what it had
to parse itself (the config, released manifests); the hook installs the cache with
`gitmodel.infra.fileio.use_parse_memo`. A manifest edited by hand is new content and is parsed with PyYAML.
Loaded and saved through `gitmodel.infra.cache` (standard library only: the hook imports this).
"""

from __future__ import annotations

import os

from gitmodel.infra import cache

TYPE_CHECKING = False
if TYPE_CHECKING:  # pathlib where a Path is made: the commit hook reads this cache by name
    from pathlib import Path

# The name carries the reader: documents parsed by the YAML 1.1 reader of older versions (`yes` as true,
# dates as dates) must not be served to the YAML 1.2 one (gitmodel/infra/yaml12.py).
DOCS_FILE = "parsed-yaml12.json"
# {"docs": {blob id: document as JSON text}}, stamped by gitmodel.infra.cache. 2: as text, so that loading 500
# documents scans strings (~0.5 ms) and only those read are decoded, where decoding all cost the hook ~3 ms
DOCS_FORMAT = 2
KEEP_DOCS = 500  # most recent documents kept (a manifest is a few KB)


def load_docs(git_dir: Path | str) -> dict[str, str]:
    """Parsed YAML documents by blob id, as JSON text (empty when missing, corrupt or another version's: it is
    only a cache; a value that is not text is left out)."""
    docs = cache.load(cache.cache_file(git_dir, DOCS_FILE), DOCS_FORMAT).get("docs")
    return {k: v for k, v in docs.items() if isinstance(v, str)} if isinstance(docs, dict) else {}


def remember_docs(git_dir: Path | str, docs: dict[str, str], known_docs: dict[str, str] | None = None) -> None:
    """Add parsed documents (JSON text) to the cache, keeping the most recent KEEP_DOCS."""
    if not docs:
        return
    current = load_docs(git_dir) if known_docs is None else known_docs
    merged = {k: v for k, v in current.items() if k not in docs}
    merged.update(docs)
    kept = dict(list(merged.items())[-KEEP_DOCS:])
    cache.save(cache.cache_file(git_dir, DOCS_FILE), DOCS_FORMAT, {"docs": kept})


def git_dir_of(path: Path) -> Path | None:
    """The git dir of the work tree holding `path`, found on disk (no git call): `.git` dir or file."""
    from pathlib import Path

    here = Path(os.path.abspath(path)).parent
    for directory in (here, *here.parents):
        dot_git = directory / ".git"
        if dot_git.is_dir():
            return dot_git
        if dot_git.is_file():  # a linked worktree or submodule: "gitdir: <path>"
            try:
                line = dot_git.read_text(encoding="utf-8").strip()
            except OSError:
                return None
            if line.startswith("gitdir:"):
                target = Path(line[len("gitdir:") :].strip())
                return target if target.is_absolute() else (directory / target).resolve()
            return None
    return None


def remember_written(path: Path, text: str) -> tuple[Path, str, object] | None:
    """Record the parse of a manifest gitmodel has just written (best effort: it is only a cache); returns
    (git dir, blob id, document) when it was parsed, for the caller's own caches."""
    git_dir = git_dir_of(path)
    if git_dir is None:
        return None
    from gitmodel.infra.errors import GitmodelError
    from gitmodel.infra.fileio import blob_id, json_text, parse_yaml

    data = text.encode("utf-8")
    try:
        doc = parse_yaml(data, where=path.name)
    except GitmodelError:
        return None
    oid = blob_id(data)
    kept = json_text(doc)
    if kept is not None:  # dates, non-string keys: JSON would not give the same back
        remember_docs(git_dir, {oid: kept})
    return git_dir, oid, doc
