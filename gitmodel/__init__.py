"""gitmodel: Git-native model versioning."""

from __future__ import annotations

TYPE_CHECKING = False  # the name alone is enough for mypy; importing typing costs the hook ~4 ms
if TYPE_CHECKING:
    from typing import Any


__version__ = "0.1.0"
__all__ = ["Resolved", "resolve"]


def __getattr__(name: str) -> Any:
    # Lazy: `import gitmodel` stays cheap (the git hook imports it); the API loads on first use.
    if name in ("resolve", "Resolved"):
        from gitmodel.storage import resolve as api

        return getattr(api, name)
    raise AttributeError(f"module 'gitmodel' has no attribute {name!r}")
