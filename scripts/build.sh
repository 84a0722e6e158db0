#!/usr/bin/env bash
# Configures and builds everything into ./build (or $BUILD_DIR). Extra arguments go to cmake,
# e.g. ./scripts/build.sh -DMULTUS_SANITIZE=ON
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build}
BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo}

cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" "$@"
ninja -C "$BUILD_DIR"
