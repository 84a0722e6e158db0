#!/usr/bin/env bash
# Configures and builds into ./build (or $BUILD_DIR): every target, or only $BUILD_TARGETS
# (e.g. BUILD_TARGETS=multus). Extra arguments go to cmake, e.g. -DMULTUS_SANITIZE=ON
# BUILD_JOBS=N runs N compile jobs at a time (default: ninja's, the cores + 2).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build}
BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo}

# Our own builds turn warnings into errors (MULTUS_WERROR); a packager's build does not.
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DMULTUS_WERROR=ON "$@"
# shellcheck disable=SC2086 # a space-separated list of targets
ninja -C "$BUILD_DIR" ${BUILD_JOBS:+-j "$BUILD_JOBS"} ${BUILD_TARGETS:-}
