"""Where DVC writes on its own, and who may move it: a committed `.dvc/config` is data from whoever can push
a branch, so it may not send DVC's cache (or site cache) out of the work tree; the user's own config may.
gitmodel's own DVC calls never link working files into the cache."""

from __future__ import annotations

import os
from pathlib import Path

from gitmodel.infra.errors import InvalidInput
from gitmodel.repo import git
from gitmodel.storage.dvc import _dvc_config, _is_url

# Where DVC writes on its own: its cache (`cache.dir`, or a remote named by `cache.local`...) and its site
# cache. The committed `.dvc/config` is data from whoever can push a branch; the user's own levels are not.
_CACHE_PLACES = (("cache", "dir"), ("cache", "local"), ("cache", "s3"), ("cache", "gs"), ("cache", "hdfs"),
                 ("cache", "webhdfs"), ("cache", "ssh"), ("cache", "azure"), ("core", "site_cache_dir"))

# A working file that is a symlink or hard link into the cache (`cache.type = symlink|hardlink`, which a
# committed config can set) turns an in-place edit of the weights into damage to the cache's only copy,
# and a symlink is not the bytes git and the hook see. gitmodel's own DVC use copies (or reflinks).
NO_LINKS = {"cache": {"type": ["reflink", "copy"]}}


def refuse_cache_outside(root: Path) -> None:
    """Refuse (exit 2) a committed `.dvc/config` that moves a place DVC writes to out of the work tree:
    `cache.dir` outside it (`/etc`, `../../x`), a cache on a remote (`cache.local = NAME`), or
    `core.site_cache_dir` outside it. The same setting in `.dvc/config.local` or the user's global or
    system DVC config (a shared cache on this machine) is the user's choice and is honoured."""
    real_root = os.path.realpath(root)

    def inside(path: str) -> bool:
        real = os.path.realpath(path)
        return real == real_root or real.startswith(real_root + os.sep)

    # A committed symlink (`.dvc/cache -> /elsewhere`) moves them as well as the config can; one the user
    # made (a cache on a bigger disk, not in git) is theirs.
    for rel in (".dvc", ".dvc/tmp", ".dvc/cache"):
        if os.path.islink(root / rel) and not inside(str(root / rel)) and git.is_tracked(root, rel):
            raise InvalidInput(f"{rel} is a symlink out of the repository; DVC would write through it",
                               where=rel, hint=f"remove the link (`git rm {rel}`), then retry")
    config = _dvc_config(root)
    # `.dvc/config.local` is the user's, unless someone committed it (`git add -f`): then it is data too.
    local_is_data = (root / ".dvc" / "config.local").exists() and git.is_tracked(root, ".dvc/config.local")
    shared = [config.load_one("repo")] + ([config.load_one("local")] if local_is_data else [])
    own = [config.load_one(level) for level in ("global", "system")]
    own += [] if local_is_data else [config.load_one("local")]
    for section, key in _CACHE_PLACES:
        from_local = local_is_data and shared[-1].get(section, {}).get(key) is not None
        value = shared[-1 if from_local else 0].get(section, {}).get(key)
        if value is None or any(key in level.get(section, {}) for level in own):
            continue
        if key in ("dir", "site_cache_dir") and not _is_url(str(value)) and inside(str(value)):
            continue
        if from_local:
            raise InvalidInput(f"{section}.{key} = {value} puts DVC's cache outside the repository; a "
                               "config.local that git carries is not yours to trust", where=".dvc/config.local",
                               hint="stop tracking it (`git rm --cached .dvc/config.local`) and check what it sets "
                                    "(`dvc config --local --list`): it is then your own config")
        raise InvalidInput(f"{section}.{key} = {value} puts DVC's cache outside the repository; a committed "
                           "config may not", where=".dvc/config",
                           hint=f"remove it: `dvc config --unset {section}.{key}` (a shared cache on this "
                                f"machine goes in your own config: `dvc config --local {section}.{key} PATH`)")
