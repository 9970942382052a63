"""Keep a model's entry in `dvc.yaml` `artifacts:` in step with its manifest.

DVC (`dvc artifacts get`, `dvc.api.artifacts_show`) and DVC Studio find a model through this entry and
resolve `NAME@vX.Y.Z` / `NAME#STAGE` through the same git tags gitmodel writes. dvc.yaml is plain YAML:
it is edited with ruamel.yaml's round-trip mode (what DVC itself uses, and a dependency of DVC) so that
users' comments, key order and stages survive; DVC is not imported.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitmodel.infra.errors import InvalidInput
from gitmodel.infra.fileio import atomic_write, read_capped
from gitmodel.model.manifest import Manifest

DVC_YAML = "dvc.yaml"
# DVC checks artifact names with GTO's rule (dvc/repo/artifacts.py: check_name_format)
_DVC_NAME_RE = re.compile(r"[a-zA-Z0-9]([a-zA-Z0-9-/_]*[a-zA-Z0-9])?")


@dataclass(frozen=True)
class ArtifactSync:
    """What happened to dvc.yaml: `changed` says whether the file was written."""

    path: str
    changed: bool
    skipped: str | None = None   # why no entry was written


def wanted_entry(manifest: Manifest) -> dict[str, Any] | None:
    """The `artifacts:` entry this manifest calls for (None when it has no weights)."""
    if not manifest.weights:
        return None
    entry: dict[str, Any] = {"path": manifest.weights[0].path, "type": "model"}
    if manifest.description:
        entry["desc"] = manifest.description
    return entry


def _yaml() -> Any:
    from ruamel.yaml import YAML

    handler = YAML()  # round-trip: comments and order survive
    handler.preserve_quotes = True
    handler.width = 4096
    handler.indent(mapping=2, sequence=4, offset=2)
    return handler


def entry_problem(data: Any, manifest: Manifest) -> str | None:
    """Why a parsed dvc.yaml is out of step with `manifest`, or None when it agrees."""
    wanted = wanted_entry(manifest)
    if wanted is None or not _DVC_NAME_RE.fullmatch(manifest.name):
        return None
    artifacts = data.get("artifacts") if isinstance(data, dict) else None
    current = artifacts.get(manifest.name) if isinstance(artifacts, dict) else None
    if not isinstance(current, dict):
        return f"dvc.yaml has no artifacts.{manifest.name} entry"
    for key, value in wanted.items():
        if current.get(key) != value:
            return f"dvc.yaml artifacts.{manifest.name}.{key} is {current.get(key)!r}, the manifest says {value!r}"
    return None


def sync_artifact(root: Path, manifest: Manifest) -> ArtifactSync:
    """Write or update `artifacts.NAME` (path of the primary weights, type model, desc) in dvc.yaml.

    Only in a DVC repository (a `.dvc/` directory); other keys of the entry (labels, meta) and the rest
    of the file are kept. Written atomically, and only when something changed.
    """
    if not (root / ".dvc").is_dir():
        return ArtifactSync(DVC_YAML, False, skipped="not a DVC repository")
    if not _DVC_NAME_RE.fullmatch(manifest.name):
        return ArtifactSync(DVC_YAML, False, skipped=f"DVC does not accept {manifest.name!r} as an artifact name "
                                                     "(letters, digits, - _ / only)")
    wanted = wanted_entry(manifest)
    if wanted is None:
        return ArtifactSync(DVC_YAML, False, skipped="the model has no weights")
    path = root / DVC_YAML
    handler = _yaml()
    if path.exists():
        raw = read_capped(path, where=DVC_YAML)
        try:
            data = handler.load(raw.decode("utf-8"))
        except Exception as exc:  # noqa: BLE001 - ruamel raises many types; all mean "not valid YAML"
            first = str(exc).strip().splitlines()
            raise InvalidInput(f"invalid YAML: {first[0] if first else type(exc).__name__}", where=DVC_YAML,
                               hint="fix dvc.yaml (gitmodel keeps artifacts: in step with the manifests)") from None
    else:
        raw, data = b"", None
    if data is None:
        from ruamel.yaml.comments import CommentedMap

        data = CommentedMap()
    if not isinstance(data, dict):
        raise InvalidInput("expected a mapping at the top level", where=DVC_YAML)
    if entry_problem(data, manifest) is None:
        return ArtifactSync(DVC_YAML, False)
    artifacts = data.get("artifacts")
    if artifacts is None:
        data["artifacts"] = artifacts = {}
    if not isinstance(artifacts, dict):
        raise InvalidInput("expected a mapping of name: {path, type, desc}", where=f"{DVC_YAML}: artifacts")
    entry = artifacts.get(manifest.name)
    if not isinstance(entry, dict):
        artifacts[manifest.name] = entry = {}
    for key, value in wanted.items():
        entry[key] = value
    buffer = io.StringIO()
    handler.dump(data, buffer)
    text = buffer.getvalue()
    if text.encode("utf-8") == raw:
        return ArtifactSync(DVC_YAML, False)
    atomic_write(path, text)
    return ArtifactSync(DVC_YAML, True)
