"""What gitmodel already knows about manifest blobs, so the commit hook need not import jsonschema or yaml.

Two caches under `<git dir>/gitmodel/`, both keyed by content, so they never go stale:

- `validated.json`: blob ids of manifests that passed JSON Schema validation.
- `parsed.json`: parsed YAML documents by blob id (see `gitmodel.fileio.use_parse_memo`).

`gitmodel add` and `bump` validate every manifest they write; they record the git blob ids of the bytes
written (sha1 and sha256 object formats both) under `<git dir>/gitmodel/validated.json`, keyed by the
schema's own hash. The hook skips jsonschema for a staged manifest whose blob id is recorded: the same
bytes against the same schema give the same verdict. A hand-edited manifest has a new blob id and is
validated in full. Standard library only: the hook imports this.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path

FILE = "validated.json"
DOCS_FILE = "parsed.json"
KEEP = 2000  # most recent blob ids kept; older ones are simply validated again
KEEP_DOCS = 500  # most recent parsed documents kept (manifests are a few KB each)


def blob_ids(data: bytes) -> tuple[str, str]:
    """The git blob ids of `data` in sha1 and sha256 repositories (`git hash-object`)."""
    header = b"blob %d\0" % len(data)
    return (hashlib.sha1(header + data, usedforsecurity=False).hexdigest(),
            hashlib.sha256(header + data).hexdigest())


def schema_key() -> str:
    """Changes whenever the manifest schema shipped with gitmodel changes."""
    path = Path(__file__).resolve().parent / "schemas" / "manifest.v1.json"
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError:
        return "missing"


def _load(gitmodel_dir: Path, key: str) -> list[str]:
    try:
        data = json.loads((gitmodel_dir / FILE).read_bytes())
    except (OSError, ValueError):
        return []
    if not isinstance(data, dict) or data.get("schema") != key or not isinstance(data.get("blobs"), list):
        return []
    return [b for b in data["blobs"] if isinstance(b, str)]


def known(git_dir: Path) -> set[str]:
    """Blob ids of manifests that passed the current schema."""
    return set(_load(git_dir / "gitmodel", schema_key()))


def remember(git_dir: Path, blobs: list[str]) -> None:
    """Record blob ids that passed validation (best effort: a read-only .git only costs a re-validation)."""
    if not blobs:
        return
    directory, key = git_dir / "gitmodel", schema_key()
    current = _load(directory, key)
    merged = [b for b in current if b not in blobs] + list(blobs)
    _write(directory / FILE, json.dumps({"schema": key, "blobs": merged[-KEEP:]}, separators=(",", ":")).encode())


def _write(path: Path, payload: bytes) -> None:
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp.write_bytes(payload)
        os.replace(temp, path)
    except OSError:
        with contextlib.suppress(OSError):
            temp.unlink()


def load_docs(git_dir: Path) -> dict[str, object]:
    """Parsed YAML documents by blob id (empty when missing or corrupt: it is only a cache)."""
    try:
        data = json.loads((git_dir / "gitmodel" / DOCS_FILE).read_bytes())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def remember_docs(git_dir: Path, docs: dict[str, object], known_docs: dict[str, object] | None = None) -> None:
    """Add parsed documents to the cache, keeping the most recent KEEP_DOCS."""
    if not docs:
        return
    current = load_docs(git_dir) if known_docs is None else known_docs
    merged = {k: v for k, v in current.items() if k not in docs}
    merged.update(docs)
    kept = dict(list(merged.items())[-KEEP_DOCS:])
    _write(git_dir / "gitmodel" / DOCS_FILE, json.dumps(kept, separators=(",", ":")).encode())


def remember_file(git_dir: Path, path: Path) -> None:
    """Record a manifest file gitmodel has just validated and written: its verdict and its parse."""
    from gitmodel.fileio import blob_id, parse_yaml

    try:
        data = path.read_bytes()
    except OSError:
        return
    remember(git_dir, list(blob_ids(data)))
    try:
        doc = parse_yaml(data, where=path.name)
        json.dumps(doc)
    except Exception:  # noqa: BLE001 - only a cache: a document JSON cannot hold is parsed again later
        return
    remember_docs(git_dir, {blob_id(data): doc})
