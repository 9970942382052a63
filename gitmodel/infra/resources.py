"""Locate the files gitmodel ships: schemas, hook stubs, templates (wheel and source layouts)."""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent.parent  # gitmodel/, this file being gitmodel/infra/resources.py


def _first_existing(*candidates: Path) -> Path:
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[0]


def schemas_dir() -> Path:
    return _PKG / "model" / "schemas"


def hooks_dir() -> Path:
    """hooks/ at the repo root in a source checkout, gitmodel/_hooks inside a wheel."""
    return _first_existing(_PKG / "_hooks", _PKG.parent / "hooks")


def templates_dir() -> Path:
    return _first_existing(_PKG / "_templates", _PKG.parent / "templates")
