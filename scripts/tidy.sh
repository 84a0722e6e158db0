#!/usr/bin/env bash
# The lint stage: builds every C++ file of the project (core, main, multus-install, unit and
# install tests, and the fuzz targets' sources, compiled but not linked) with clang 14 and
# clang-tidy 14 into $TIDY_BUILD_DIR (default build-tidy), with warnings and clang-tidy findings
# as errors (MULTUS_CLANG_TIDY, MULTUS_WERROR). It proves two things: the tree is clean under
# .clang-tidy's checks, and it compiles under clang as well as GCC.
# Extra arguments go to cmake; BUILD_JOBS=N as in scripts/build.sh. Run after
# scripts/install-deps.sh (clang, clang-tidy).
#
# Incremental like any build: a second run re-checks only the files that changed, or every
# file when .clang-tidy changed.
# -O0 without -g: the objects only serve to run clang's warnings; clang-tidy is most of the
# time. From scratch: ~25 CPU-minutes, so ~13 min on 2 idle cores (docs/reliability.md).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${TIDY_BUILD_DIR:-build-tidy}
export BUILD_DIR

# ninja knows nothing of .clang-tidy: a new version of it re-checks everything.
stamp=$BUILD_DIR/clang-tidy.sha256
if [[ -f $BUILD_DIR/build.ninja ]] && ! sha256sum --status -c "$stamp" 2>/dev/null; then
  ninja -C "$BUILD_DIR" -t clean >/dev/null
fi

CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG=-O0 -DCMAKE_C_FLAGS_DEBUG=-O0 -DMULTUS_STATIC=OFF \
  -DMULTUS_WERROR=ON -DMULTUS_CLANG_TIDY=ON "$@"
# The objects built from here on are checked with this .clang-tidy. Recorded before the build:
# a file with findings leaves no object, so the next run checks it again, while every clean
# object stays valid (written after a success only, one finding re-checked the whole tree).
sha256sum .clang-tidy >"$stamp"
# -k 0: every finding of every file, not only the first file's.
ninja -C "$BUILD_DIR" -k 0 ${BUILD_JOBS:+-j "$BUILD_JOBS"}
echo "tidy: clean"
