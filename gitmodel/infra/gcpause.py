"""Python's cyclic garbage collector held off while a run builds objects it keeps to its end.

Loading the judged index of 10,000 models makes millions of lists, dicts and records that live until the
command ends; each young-generation collection, and the full ones they trigger, walks them again — a third of
`status`'s time at that size. None of them is garbage, and none forms a cycle that must be freed early, so
the collector is off for the run and back on (as it was) after: a long-lived process that calls the gate
keeps its collector.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator


@contextmanager
def paused_gc() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
