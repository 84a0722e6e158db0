#!/usr/bin/env bash
# Installs the dependencies, builds, and runs every test with ctest. The end-to-end tests
# need root (network namespaces); they are RUN_SERIAL, so -j only parallelizes unit tests.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build}
export BUILD_DIR

./scripts/install-deps.sh
./scripts/build.sh
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "${CTEST_PARALLEL_LEVEL:-2}" "$@"
