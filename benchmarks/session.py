"""The state the figure groups of one `make bench` run share: the workspace, the run count, the rows being
filled (one per figure key) and the fixtures built once for several groups."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import generators as gen
from benchmarks.harness import Figure, Series
from benchmarks.workspace import Workspace


@dataclass
class Context:
    ws: Workspace
    runs: int = 5
    rows: dict[str, Figure] = field(default_factory=dict)
    _fixtures: dict[str, object] = field(default_factory=dict)

    def fixture(self, key: str, build: Callable[[], object]) -> object:
        if key not in self._fixtures:
            self._fixtures[key] = build()
        return self._fixtures[key]

    def repo100(self) -> Path:
        return self.fixture("repo100", lambda: gen.model_repo(self.ws))  # type: ignore[return-value]

    def big(self) -> Path:
        return self.fixture("big", lambda: gen.big_file(self.ws))  # type: ignore[return-value]

    def row(self, key: str) -> Figure:
        return self.rows[key]

    def unavailable(self, keys: list[str], reason: str) -> None:
        for key in keys:
            self.rows[key].verdict = f"not available: {reason}"


def runs_label(*series: Series) -> str:
    return " / ".join(f"{len(s.seconds)}" for s in series) + " + 1 warm-up"
