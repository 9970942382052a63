"""Run one command and report its wall time and peak RSS: `python -I -S _spawn.py RESULT -- ARGV…`.

Why a separate small process: a child's ru_maxrss starts at the RSS of the process that forked it
(Linux records the pre-exec image's high-water mark at exec), so spawning from the harness — which has
gitmodel and fixtures in memory — would report the harness's size. Spawned from here, the floor is this
process's few MiB. Standard library only, no site: keep this process small.
"""

import os
import sys
import time


def main() -> None:
    result_path = sys.argv[1]
    argv = sys.argv[3:]
    start = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, os.environ)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    with open(result_path, "w") as stream:
        stream.write(f"{elapsed!r} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}\n")


main()
