"""Commands for this area; registered on the shared app by import."""

from __future__ import annotations

from gitmodel.cli import app  # noqa: F401
