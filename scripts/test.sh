#!/usr/bin/env bash
# Installs the dependencies, builds, and runs every test with ctest. The end-to-end tests
# need root (network namespaces); they are RUN_SERIAL, so -j only parallelizes unit tests.
# With MULTUS_EXTRA_STAGES=1, then the same unit and end-to-end tests against an ASan+UBSan
# build (scripts/sanitize.sh) and every fuzz target briefly (scripts/fuzz.sh;
# MULTUS_FUZZ_SECONDS each, default 10). They join the default run once they have passed on a
# clean clone (issue 8); docs/reliability.md says what each stage proves.
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

if [[ ${MULTUS_EXTRA_STAGES:-0} == 1 ]]; then
  ./scripts/sanitize.sh
  ./scripts/fuzz.sh --regress
  ./scripts/fuzz.sh "${MULTUS_FUZZ_SECONDS:-10}"
fi
