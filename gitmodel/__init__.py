"""gitmodel: Git-native model versioning."""

from __future__ import annotations

TYPE_CHECKING = False  # the name alone is enough for mypy; importing typing costs the hook ~4 ms
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Resolved", "__version__", "resolve"]


def __getattr__(name: str) -> Any:
    # Lazy: `import gitmodel` stays cheap (the git hook imports it); the API loads on first use.
    if name == "__version__":  # kept in gitmodel/infra/version.py: the caches below are stamped with it
        from gitmodel.infra.version import __version__

        return __version__
    if name in ("resolve", "Resolved"):
        from gitmodel.storage import resolve as api

        return getattr(api, name)
    raise AttributeError(f"module 'gitmodel' has no attribute {name!r}")
