"""`gitmodel validate`: full JSON Schema validation of manifests and config."""

from __future__ import annotations

from pathlib import Path

from gitmodel.infra.errors import InvalidInput
from gitmodel.model import manifest as mf
from gitmodel.model.config import CONFIG_FILE, load_config
from gitmodel.model.names import normalize_repo_path


def validate_paths(root: Path, paths: list[str]) -> list[str]:
    """Validate the given files (or the config and every manifest); return what was checked."""
    cfg = load_config(root, full=True)
    checked = [CONFIG_FILE] if (root / CONFIG_FILE).exists() else []
    if paths:
        targets = [normalize_repo_path(p, root, where=p or "PATH", must_exist=True) for p in paths]
    else:
        base = root / cfg.manifests
        targets = sorted(p.relative_to(root).as_posix() for p in base.rglob("*.yaml")) if base.is_dir() else []
    for rel in targets:
        if rel == CONFIG_FILE:
            continue
        manifest = mf.load(root / rel, where=rel)
        expected = cfg.name_from_path(rel)
        if expected is not None and manifest.name != expected:
            raise InvalidInput(f"name {manifest.name!r} does not match the file name", where=f"{rel}: name")
        checked.append(rel)
    return checked
