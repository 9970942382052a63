"""Time for git without sleeping: author, committer and tagger dates through the environment."""

from __future__ import annotations

from typing import Any

import pytest


class Clock:
    """Monotonic fake time for git: every tag and commit gets its own second (GTO orders by time)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, start: int = 1_767_225_600) -> None:
        self.now = start  # default 2026-01-01T00:00:00Z
        self.monkeypatch = monkeypatch

    def tick(self) -> str:
        """Advance a minute; in-process git calls (they inherit os.environ) use the new time."""
        self.now += 60
        stamp = f"@{self.now} +0000"
        self.monkeypatch.setenv("GIT_COMMITTER_DATE", stamp)
        self.monkeypatch.setenv("GIT_AUTHOR_DATE", stamp)
        return stamp

    def env(self) -> dict[str, str]:
        stamp = self.tick()
        return {"GIT_COMMITTER_DATE": stamp, "GIT_AUTHOR_DATE": stamp}


def pin_dates(monkeypatch: Any, when: str = "2026-01-15T10:00:00+00:00") -> None:
    """Stable author, committer and tagger dates (goldens print release dates)."""
    monkeypatch.setenv("GIT_AUTHOR_DATE", when)
    monkeypatch.setenv("GIT_COMMITTER_DATE", when)
