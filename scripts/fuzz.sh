#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang, ASan and UBSan into $FUZZ_BUILD_DIR
# (default build-fuzz) and runs each of them.
#   scripts/fuzz.sh [SECONDS] [TARGET...]   fuzz every (or each named) target SECONDS (default
#                                           30) on a copy of its seed corpus kept in the build dir
#   scripts/fuzz.sh --regress [TARGET...]   run every seed and every past crash
#                                           (tests/fuzz/crashes/<target>-*) once (fast, for CI)
#   scripts/fuzz.sh --runs N [TARGET...]    fuzz every target for N inputs from a fixed seed on
#                                           a fresh copy of its seeds: the same inputs on every
#                                           machine, so CI's verdict is reproducible
# FUZZ_JOBS=N runs N targets at a time (default 1). Prints a table of executions and crashes;
# exits 1 if any target crashed, leaked, hit UB or timed out, naming the input and the command
# that reproduces it. The repository is never written to: corpora grow and crashes land under
# $FUZZ_BUILD_DIR/fuzz/<target>/.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${FUZZ_BUILD_DIR:-$ROOT/build-fuzz}
FUZZ_SRC=$ROOT/tests/fuzz
JOBS=${FUZZ_JOBS:-1}
MAX_LEN=65536

usage() {
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

regress=0
seconds=30
runs=0
if [[ ${1:-} == --regress ]]; then
  regress=1
  shift
elif [[ ${1:-} == --runs ]]; then
  [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || usage
  runs=$2
  shift 2
elif [[ ${1:-} =~ ^[0-9]+$ ]]; then
  seconds=$1
  shift
elif [[ ${1:-} == -* ]]; then
  usage
fi
if [[ $seconds -lt 1 || ! $JOBS =~ ^[1-9][0-9]*$ ]]; then
  usage
fi

check_toolchain() {
  local missing=()
  command -v clang >/dev/null 2>&1 || missing+=(clang)
  command -v ninja >/dev/null 2>&1 || missing+=(ninja-build)
  if command -v clang++ >/dev/null 2>&1; then
    local runtime
    runtime=$(clang++ -print-file-name=libclang_rt.fuzzer-x86_64.a)
    [[ -f $runtime ]] || missing+=(libclang-rt-14-dev)
  fi
  if [[ ${#missing[@]} -gt 0 ]]; then
    echo "fuzz: missing ${missing[*]}: apt-get install ${missing[*]}" >&2
    exit 2
  fi
  if ! command -v llvm-symbolizer >/dev/null 2>&1; then
    echo "fuzz: no llvm-symbolizer (package llvm): stacks will not be symbolized" >&2
  fi
}

build() {
  check_toolchain
  if [[ ! -f $BUILD_DIR/build.ninja ]]; then
    CC=clang CXX=clang++ cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DMULTUS_FUZZ=ON
  fi
  cmake --build "$BUILD_DIR" --target fuzzers
}

# Executions of one run, from libFuzzer's final stats, else its last status line.
executions() {
  local log=$1 count
  count=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  if [[ -z $count ]]; then
    count=$(sed -n 's/^#\([0-9][0-9]*\)[[:space:]].*/\1/p' "$log" | tail -n 1)
  fi
  echo "${count:-0}"
}

# Runs every seed and past crash once, each as its own input: libFuzzer then never writes to
# the repository. Writes "<executions> <failures>" to $work/result.
regress_target() {
  local target=$1 bin=$2 work=$3
  local inputs=()
  local file
  for file in "$FUZZ_SRC/corpus/$target"/* "$FUZZ_SRC/crashes/$target"-*; do
    [[ -f $file ]] && inputs+=("$file")
  done
  local failures=0
  if [[ ${#inputs[@]} -gt 0 ]] &&
    ! (cd "$work/artifacts" && "$bin" -timeout=10 -rss_limit_mb=2048 "${inputs[@]}") \
      >"$work/log" 2>&1; then
    failures=1
  fi
  echo "${#inputs[@]} $failures" >"$work/result"
}

# Fuzzes for $seconds on the target's corpus in the build dir, refreshed from the seeds.
fuzz_target() {
  local target=$1 bin=$2 work=$3
  # A fixed number of inputs is only reproducible from the seeds alone.
  [[ $runs -gt 0 ]] && rm -rf "$work/corpus"
  mkdir -p "$work/corpus"
  if [[ -d $FUZZ_SRC/corpus/$target ]]; then
    cp -R "$FUZZ_SRC/corpus/$target/." "$work/corpus/"
  fi
  local args=(-max_len="$MAX_LEN" -timeout=10 -rss_limit_mb=2048
    -print_final_stats=1 -artifact_prefix="$work/artifacts/")
  if [[ $runs -gt 0 ]]; then
    args+=(-runs="$runs" -seed=1)
  else
    args+=(-max_total_time="$seconds")
  fi
  if [[ -f $FUZZ_SRC/dict/$target.dict ]]; then
    args+=(-dict="$FUZZ_SRC/dict/$target.dict")
  fi
  "$bin" "${args[@]}" "$work/corpus" >"$work/log" 2>&1 || true
  local found
  found=$(find "$work/artifacts" -maxdepth 1 -type f \
    \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  echo "$(executions "$work/log") $found" >"$work/result"
}

run_target() {
  local target=$1
  local bin=$BUILD_DIR/tests/fuzz/${target}_fuzzer work=$BUILD_DIR/fuzz/$target
  # Artifacts and the result describe this run only.
  rm -rf "$work/artifacts" "$work/result"
  mkdir -p "$work/artifacts"
  if [[ $regress -eq 1 ]]; then
    echo "fuzz: $target: seeds and past crashes" >&2
    regress_target "$target" "$bin" "$work"
  else
    echo "fuzz: $target: $([[ $runs -gt 0 ]] && echo "$runs inputs, seed 1" || echo "${seconds}s")" >&2
    fuzz_target "$target" "$bin" "$work"
  fi
}

report_failure() {
  local target=$1
  local work=$BUILD_DIR/fuzz/$target bin=$BUILD_DIR/tests/fuzz/${target}_fuzzer
  echo "FAILED $target (log: $work/log)"
  if [[ $regress -eq 1 ]]; then
    grep '^Running: ' "$work/log" | tail -n 1 | sed 's/^Running: /  failing:   /' || true
  fi
  grep -m 3 -E '^==[0-9]+==ERROR|runtime error|==FUZZ INVARIANT==|ERROR: libFuzzer' \
    "$work/log" | sed 's/^/  /' || true
  local artifact
  while IFS= read -r artifact; do
    echo "  input:     $artifact"
    echo "  reproduce: $bin $artifact"
  done < <(find "$work/artifacts" -maxdepth 1 -type f | sort)
}

main() {
  build
  local targets=("$@") target
  if [[ ${#targets[@]} -eq 0 ]]; then
    mapfile -t targets <"$BUILD_DIR/tests/fuzz/targets.txt"
  fi
  for target in "${targets[@]}"; do
    if [[ ! -x $BUILD_DIR/tests/fuzz/${target}_fuzzer ]]; then
      echo "fuzz: no target $target (see $BUILD_DIR/tests/fuzz/targets.txt)" >&2
      exit 2
    fi
  done
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

  local running=0
  for target in "${targets[@]}"; do
    if [[ $running -ge $JOBS ]]; then
      wait -n || true
      running=$((running - 1))
    fi
    run_target "$target" &
    running=$((running + 1))
  done
  wait

  local failed=() result execs crashes
  printf '\n%-22s %12s %8s\n' target executions crashes
  for target in "${targets[@]}"; do
    result=$(cat "$BUILD_DIR/fuzz/$target/result" 2>/dev/null || echo "? 1")
    execs=${result% *}
    crashes=${result#* }
    printf '%-22s %12s %8s\n' "$target" "$execs" "$crashes"
    if [[ $crashes != 0 ]]; then
      failed+=("$target")
    fi
  done
  if [[ ${#failed[@]} -eq 0 ]]; then
    return 0
  fi
  echo
  for target in "${failed[@]}"; do
    report_failure "$target"
  done
  return 1
}

main "$@"
