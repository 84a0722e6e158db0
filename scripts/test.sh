#!/usr/bin/env bash
# Installs the dependencies, builds, and runs every test with ctest. The end-to-end tests
# need root (network namespaces); they are RUN_SERIAL, so -j only parallelizes unit tests.
# Then the same unit and end-to-end tests against an ASan+UBSan build (scripts/sanitize.sh),
# every seed and past crash of the fuzz targets, and every target briefly: MULTUS_FUZZ_RUNS
# inputs each (default 30000) from a fixed seed, the same work whatever the machine's speed
# (exploring for longer: scripts/fuzz.sh SECONDS). docs/reliability.md says what each stage
# proves.
# MULTUS_QUICK=1 stops after the first ctest run (a developer's loop; CI never sets it).
# MULTUS_TIDY=1 adds scripts/tidy.sh (clang 14 + clang-tidy on every file) after the first ctest
# run: ~25 CPU-minutes, too long for CI's budget, so not run by default (docs/reliability.md).
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
# The containerd-like go-cni driver tests must run here, not skip (install-deps installs Go).
export MULTUS_REQUIRE_RUNTIME_DRIVER=1
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "${CTEST_PARALLEL_LEVEL:-2}" "$@"

if [[ ${MULTUS_TIDY:-0} == 1 ]]; then
  ./scripts/tidy.sh
fi
[[ ${MULTUS_QUICK:-0} == 1 ]] && exit 0
./scripts/sanitize.sh
./scripts/fuzz.sh --regress
./scripts/fuzz.sh --runs "${MULTUS_FUZZ_RUNS:-30000}"
