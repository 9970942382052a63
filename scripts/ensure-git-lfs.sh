#!/bin/sh
# Make git-lfs available for the Git LFS tests (tests/test_lfs.py), without ever failing the build.
#
# Installs Debian's `git-lfs` package only when all of these hold:
#   - git-lfs is missing,
#   - we run as root (no sudo prompts in a build),
#   - CI is set, or GITMODEL_INSTALL_GIT_LFS=1 (the Makefile passes it; `make test INSTALL_GIT_LFS=0` opts out),
#   - apt-get exists.
# Otherwise it says why it did nothing; the LFS tests then skip with that reason. Always exits 0.

if command -v git-lfs >/dev/null 2>&1; then
    exit 0
fi
why=""
if [ "$(id -u 2>/dev/null)" != "0" ]; then
    why="not root"
elif [ -z "${CI:-}" ] && [ "${GITMODEL_INSTALL_GIT_LFS:-0}" != "1" ]; then
    why="neither CI nor GITMODEL_INSTALL_GIT_LFS=1 is set"
elif ! command -v apt-get >/dev/null 2>&1; then
    why="no apt-get on this machine"
fi
if [ -n "$why" ]; then
    echo "ensure-git-lfs: git-lfs is missing and was not installed ($why); the Git LFS tests will skip" >&2
    exit 0
fi
echo "ensure-git-lfs: installing git-lfs with apt-get" >&2
run() {
    if command -v timeout >/dev/null 2>&1; then timeout 600 "$@"; else "$@"; fi
}
export DEBIAN_FRONTEND=noninteractive
run apt-get install -y -q git-lfs >/dev/null 2>&1 \
    || { run apt-get update -q >/dev/null 2>&1 && run apt-get install -y -q git-lfs >/dev/null 2>&1; } \
    || true
if command -v git-lfs >/dev/null 2>&1; then
    echo "ensure-git-lfs: $(git-lfs version)" >&2
else
    echo "ensure-git-lfs: apt-get could not install git-lfs; the Git LFS tests will skip" >&2
fi
exit 0
