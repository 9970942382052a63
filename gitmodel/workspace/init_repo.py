"""`gitmodel init`: config, the schemas editors read, DVC, default remote, hooks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gitmodel.infra.errors import Refused
from gitmodel.infra.fileio import atomic_write
from gitmodel.model.config import CONFIG_FILE, default_text, load_config
from gitmodel.model.manifest import SCHEMA_COPIES, write_schema_copies
from gitmodel.repo import git


@dataclass
class InitResult:
    root: Path
    created: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def init_repo(root: Path, *, remote: str | None = None, hooks: bool = True, dvc: bool = True) -> InitResult:
    """Idempotent: writes what is missing, never overwrites config, never re-runs `dvc init`."""
    result = InitResult(root)
    cfg_path = root / CONFIG_FILE
    if not cfg_path.exists():
        atomic_write(cfg_path, default_text())
        result.created.append(CONFIG_FILE)
    else:
        load_config(root, full=True)  # refuse to build on a broken config
        result.notes.append(f"{CONFIG_FILE} already exists; left as is")
    cfg = load_config(root)
    (root / cfg.manifests).mkdir(parents=True, exist_ok=True)
    # what the manifests' and the config's `# yaml-language-server: $schema=` lines point at, offline
    result.created.extend(write_schema_copies(root))
    if dvc:
        from gitmodel.storage import dvc as storage

        if storage.init(root):
            result.created.append(".dvc/")
        else:
            result.notes.append("DVC already initialised")
        remote_note = storage.ensure_default_remote(root, remote)
        if remote_note:
            result.notes.append(remote_note)
    if hooks:
        from gitmodel.gate import install as hooks_mod

        try:
            result.notes.extend(hooks_mod.install(root).notes)
        except Refused as exc:  # a hook conflict must not fail the rest of init
            result.notes.append(f"hooks not installed: {exc}")
    git.add(root, [p for p in (CONFIG_FILE, ".dvc/config", ".dvc/.gitignore", ".dvcignore", *SCHEMA_COPIES)
                   if (root / p).exists()])
    return result
