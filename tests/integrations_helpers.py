"""Helpers shared by the integrations tests (LFS, labels, MLflow, formats)."""

from __future__ import annotations

from pathlib import Path

from gitmodel.model.manifest import load
from tests.conftest import git


def release(root: Path, name: str, *, manifests: str = "models") -> str:
    """Tag the committed manifest's version as `gitmodel tag` does: annotated, fingerprint in the message."""
    m = load(root / f"{manifests}/{name}.yaml")
    tag = f"{name}@v{m.version}"
    git(root, "tag", "-a", tag, "-m", f"Release {tag}\n\nfingerprint: sha256:{m.fingerprint()}\n"
        f"manifest: {manifests}/{name}.yaml")
    return tag
