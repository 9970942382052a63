#!/bin/sh
# Install the system tools the tests drive that pip cannot install, so `make test` passes on a machine
# where only Python 3.11 and git were installed by hand. Python peer tools (DVC, GTO, pre-commit, moto...)
# come from pyproject's `test` extra instead.
#
#   tool         Debian package   needed by
#   git-lfs      git-lfs          tests/storage/test_lfs.py and the LFS interop tests
#   ssh-keygen   openssh-client   the signed-tag and governance tests (git's ssh signing)
#   gpg          gnupg            the governance test with a GPG key (git's openpgp signing)
#   chromium     chromium         tests/site/test_browser.py (the built site opened in headless Chromium)
#   ensurepip    python3.X-venv   `python3.X -m venv` (Debian ships venv support apart from python3.X)
#   azurite      (npm)            tests/storage/test_clouds.py: into .test-tools/node, git-ignored
#
# Usage: ensure-test-tools.sh [TOOL...]        the tools (none named: git-lfs, ssh-keygen, gpg and chromium)
#        ensure-test-tools.sh --python PYTHON  only that PYTHON's venv support (before `make` builds .venv)
# Installs with apt-get only when all of these hold: something is missing, we run as root (no sudo prompt
# in a build), GITMODEL_INSTALL_TOOLS is not 0 (`make test INSTALL_TOOLS=0` passes 0), and apt-get exists.
# Otherwise it says what is missing and how to install it; the tests that need it then fail with the same
# command. Always exits 0: the test run reports what is missing.

PYTHON=""
TOOLS="${*:-git-lfs ssh-keygen gpg chromium}"
if [ "${1:-}" = "--python" ]; then
    PYTHON="$2"
    TOOLS=""
fi

package_for() {
    case "$1" in
        git-lfs) echo git-lfs ;;
        ssh-keygen) echo openssh-client ;;
        gpg) echo gnupg ;;
        chromium) echo chromium ;;
        *) echo "$1" ;;
    esac
}

# Azurite, the Azure Blob emulator (tests/storage/test_clouds.py), is an npm package: it goes into the
# project-local, git-ignored .test-tools/node (never a global prefix), when node and npm are installed.
AZURITE_VERSION=3.37.0
HERE=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "$PYTHON" ] && [ ! -x "$HERE/.test-tools/node/node_modules/.bin/azurite-blob" ]; then
    if command -v npm >/dev/null 2>&1 && [ "${GITMODEL_INSTALL_TOOLS:-1}" != "0" ]; then
        echo "ensure-test-tools: installing azurite@$AZURITE_VERSION into .test-tools/node" >&2
        mkdir -p "$HERE/.test-tools/node"
        (cd "$HERE/.test-tools/node" && npm install --no-audit --no-fund --loglevel=error --prefix . \
            "azurite@$AZURITE_VERSION" >/dev/null 2>&1) \
            || echo "ensure-test-tools: npm could not install azurite; the Azure tests will fail" >&2
    else
        echo "ensure-test-tools: azurite missing: install node and npm, then run" \
             "\`npm install --prefix .test-tools/node azurite@$AZURITE_VERSION\`" >&2
    fi
fi

missing=""
packages=""
for tool in $TOOLS; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        missing="$missing $tool"
        packages="$packages $(package_for "$tool")"
    fi
done
# Debian's python3.X has no ensurepip without python3.X-venv: `python -m venv` then fails.
if [ -n "$PYTHON" ] && command -v "$PYTHON" >/dev/null 2>&1 && ! "$PYTHON" -c "import ensurepip" >/dev/null 2>&1; then
    version=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    missing="$missing ensurepip"
    packages="$packages python$version-venv"
fi
[ -z "$missing" ] && exit 0

why=""
if [ "$(id -u 2>/dev/null)" != "0" ]; then
    why="not root"
elif [ "${GITMODEL_INSTALL_TOOLS:-1}" = "0" ]; then
    why="GITMODEL_INSTALL_TOOLS=0"
elif ! command -v apt-get >/dev/null 2>&1; then
    why="no apt-get on this machine"
fi
if [ -n "$why" ]; then
    echo "ensure-test-tools: missing:$missing; not installed ($why): run \`apt-get install$packages\` as root" >&2
    exit 0
fi
echo "ensure-test-tools: installing$packages with apt-get" >&2
run() {
    if command -v timeout >/dev/null 2>&1; then timeout 600 "$@"; else "$@"; fi
}
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086 # word splitting of the package list is meant
run apt-get install -y -q --no-install-recommends $packages >/dev/null 2>&1 \
    || { run apt-get update -q >/dev/null 2>&1 \
         && run apt-get install -y -q --no-install-recommends $packages >/dev/null 2>&1; } \
    || true
for tool in $missing; do
    if [ "$tool" = ensurepip ]; then
        "$PYTHON" -c "import ensurepip" >/dev/null 2>&1 && found=yes || found=""
    else
        command -v "$tool" >/dev/null 2>&1 && found=yes || found=""
    fi
    if [ -n "$found" ]; then
        echo "ensure-test-tools: $tool installed" >&2
    else
        echo "ensure-test-tools: apt-get could not install $tool; the tests that need it will fail" >&2
    fi
done
exit 0
