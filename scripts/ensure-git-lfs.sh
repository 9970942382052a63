#!/bin/sh
# Make git-lfs available for the Git LFS tests: scripts/ensure-test-tools.sh does it (with the other system
# tools the tests need); this name stays for the docs and messages that point here.
# GITMODEL_INSTALL_GIT_LFS=1 (or CI) lets it apt-get install as root. Always exits 0.
GITMODEL_INSTALL_TOOLS="${GITMODEL_INSTALL_GIT_LFS:-${GITMODEL_INSTALL_TOOLS:-0}}" \
    exec sh "$(dirname "$0")/ensure-test-tools.sh" git-lfs
