"""A model's manifest changed by hand, as a user (or a hostile commit) would, and read back raw."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from gitmodel.model import components
from gitmodel.model import manifest as mf
from gitmodel.model.records import replace

MANIFEST = "models/sentiment.yaml"  # the default model's manifest, relative to the repo


def manifest_path(root: Path, name: str) -> Path:
    return root / "models" / f"{name}.yaml"


def manifest_yaml(root: Path, name: str) -> dict[str, Any]:
    """The manifest as YAML says it, without gitmodel's parser in between."""
    data: dict[str, Any] = yaml.safe_load(manifest_path(root, name).read_text())
    return data


def edit(root: Path, model: str, **fields: Any) -> mf.Manifest:
    """Set manifest fields (metrics, lineage, card, ...) and save; returns the new manifest."""
    path = manifest_path(root, model)
    updated = replace(mf.load(path), **fields)
    mf.save(updated, path)
    return updated


def set_metrics(root: Path, metrics: dict[str, object] | None, name: str = "sentiment") -> None:
    edit(root, name, metrics=metrics)


def set_version(root: Path, name: str, version: str) -> None:
    """Rewrite the `version:` line only (the rest of the file byte for byte)."""
    path = manifest_path(root, name)
    lines = [f"version: {version}" if line.startswith("version: ") else line
             for line in path.read_text().splitlines()]
    path.write_text("\n".join(lines) + "\n")


def entries(root: Path, name: str = "sentiment") -> list[mf.FileEntry]:
    """Every file entry the manifest pins, in its order."""
    return [e for _, e in mf.load(manifest_path(root, name)).files()]


def entry(root: Path, path: str, name: str = "sentiment") -> mf.FileEntry:
    return next(e for e in entries(root, name) if e.path == path)


def set_entry(root: Path, path: str, name: str = "sentiment", **changes: object) -> None:
    """Rewrite one manifest entry (and its DVC pointer's md5) by hand, as a hostile commit would."""
    manifest = manifest_path(root, name)
    m = mf.load(manifest)
    updates = {comp: tuple(replace(e, **changes) if e.path == path else e for e in m.get(comp) or ())
               for comp in components.REGISTRY.file_kinds}
    mf.save(m.with_values(updates), manifest)
    if "md5" in changes:
        pointer = root / f"{path}.dvc"
        text = pointer.read_text()
        old = next(line for line in text.splitlines() if line.startswith("- md5: "))
        pointer.write_text(text.replace(old, f"- md5: {changes['md5']}"))


def with_value_at(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A copy of the JSON document `doc` with `value` at `path` (keys and list indexes): a manifest with
    one field mutated."""
    if not path:
        return value
    doc = json.loads(json.dumps(doc))
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return doc


def paths_in(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path (keys and list indexes) in the JSON document `doc`, the document itself first."""
    found = [prefix]
    if isinstance(doc, dict):
        for key, item in doc.items():
            found += paths_in(item, (*prefix, key))
    elif isinstance(doc, list):
        for i, item in enumerate(doc):
            found += paths_in(item, (*prefix, i))
    return found
