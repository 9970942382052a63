#!/bin/sh
# Make git-lfs available for the Git LFS tests: scripts/ensure-test-tools.sh does it (with the other system
# tools the tests need); this name stays for the docs and messages that point here.
# As root it apt-get installs git-lfs unless GITMODEL_INSTALL_GIT_LFS=0. Always exits 0.
GITMODEL_INSTALL_TOOLS="${GITMODEL_INSTALL_GIT_LFS:-${GITMODEL_INSTALL_TOOLS:-1}}" \
    exec sh "$(dirname "$0")/ensure-test-tools.sh" git-lfs
