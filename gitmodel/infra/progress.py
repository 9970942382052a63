"""Progress as a callback: domain code reports, only the CLI draws (gitmodel/cli/progress.py).

A long operation (hashing or copying a large file, a DVC transfer) takes `progress: Progress | None` and calls
`progress(label, done, total)`: the first call for a label starts it, `done == total` ends it. None means
nobody is watching (JSON output, a pipe, the commit hook, a library caller): report nothing. Domain code never
decides whether a terminal is watching and never imports a drawing library; the CLI passes a callback or None.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]  # (label, bytes done, bytes in all)

# Below this size a file is hashed or copied without reporting: a bar that flashes helps nobody.
PROGRESS_THRESHOLD = 64 * 1024 * 1024
