"""Regular expressions compiled on first use.

`re.compile` runs the pattern parser in Python (~0.1-0.5 ms a pattern), and a module-level pattern is paid
by every process that imports the module: the commit hook imports the tag and config modules on each commit
that concerns a model, and most of their patterns (tag names, quality gates, roles) never run there.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs the commit hook ~3 ms
if TYPE_CHECKING:
    from typing import Any


class LazyPattern:
    """Stands for `re.compile(pattern, flags)`: the first method asked for compiles it, and each method is then
    kept on the instance, so later calls cost what the compiled pattern's do."""

    def __init__(self, pattern: str | bytes, flags: int = 0) -> None:
        self.pattern = pattern
        self.flags = flags

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)  # copy/pickle probing: not a pattern method
        import re

        method = getattr(re.compile(self.pattern, self.flags), name)
        setattr(self, name, method)
        return method
