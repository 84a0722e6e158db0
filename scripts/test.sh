#!/usr/bin/env bash
# Installs the dependencies, builds, and runs every test with ctest. The end-to-end tests
# need root (network namespaces); they are RUN_SERIAL, so -j only parallelizes unit tests.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build}
export BUILD_DIR

./scripts/install-deps.sh
./scripts/build.sh
# An older Debian userland (glibc 2.31) for test_static_chroot, made once per build tree; the
# test says it is skipped when the archive cannot provide it.
if ./scripts/old-userland.sh "$BUILD_DIR/_deps/bullseye"; then
  export MULTUS_OLD_USERLAND=$PWD/$BUILD_DIR/_deps/bullseye
fi
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "${CTEST_PARALLEL_LEVEL:-2}" "$@"
