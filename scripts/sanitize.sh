#!/usr/bin/env bash
# The sanitizer stage of CI: builds everything with AddressSanitizer + UndefinedBehaviorSanitizer
# (MULTUS_SANITIZE=ON, so a dynamic build) into $SANITIZE_BUILD_DIR (default build-sanitize), runs
# the unit tests, the multus-install tests and the end-to-end suite against it, and fails when
# ctest fails OR when any sanitized process wrote a report, even one a test expected to exit
# non-zero (the bad-input tests): every report goes to a file in <build>/sanitizer-logs, which
# is checked after ctest. Extra arguments go to ctest (e.g. -R e2e.test_bad_input).
#
# Run after scripts/install-deps.sh (as scripts/test.sh does); the e2e tests need root.
# On a 2-core machine: build ~9 min from scratch, tests ~7 min (see the stage's summary).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

BUILD_DIR=${SANITIZE_BUILD_DIR:-build-sanitize}
export BUILD_DIR
[[ $BUILD_DIR == /* ]] && build_abs=$BUILD_DIR || build_abs=$ROOT/$BUILD_DIR
LOG_DIR=$build_abs/sanitizer-logs
LSAN_SUPP=$ROOT/tests/sanitize/lsan.supp

# Not run here:
#  - e2e.test_static_chroot runs multus in an empty chroot (and in an old userland): only the
#    static binary can do that, and sanitizers need the dynamic runtime (it skips itself on a
#    dynamic binary anyway; the normal stage runs it).
#  - package.deb checks the release .deb (lintian, static executables); a sanitized build is
#    never packaged.
EXCLUDE='^(e2e\.test_static_chroot|package\.deb)$'

stamp() { date +%s; }
# CPU seconds (user + system) of this shell's finished children, into variable $1: on a shared
# machine the wall time says little, the CPU time says what the stage costs. (`times` in this
# shell: in a $(...) subshell it would count the subshell's children only.)
cpu_into() {
  local f
  f=$(mktemp)
  times >"$f"
  printf -v "$1" '%s' "$(awk 'END { n = 0; for (i = 1; i <= 2; i++) { split($i, a, "m");
    sub("s", "", a[2]); n += a[1] * 60 + a[2] } printf "%d", n }' "$f")"
  rm -f "$f"
}
c0=0 c1=0 c2=0
t0=$(stamp)
cpu_into c0

# ---- build -----------------------------------------------------------------------------------
# -Og -g1, not RelWithDebInfo's -O2 -g: with -fsanitize=address,undefined, -O2 -g costs ~4x the
# compile time (measured on kube_client.cc: 104 s vs 23 s of CPU), which would not fit CI's
# budget; -Og keeps what the sanitizers need (every check, exact stack traces) and -g1 the line
# tables their reports are symbolized with. _GLIBCXX_ASSERTIONS adds libstdc++'s bounds and
# precondition checks (operator[], front() of an empty container, ...), which ASan cannot see
# inside an allocation; a failed one aborts, and handle_abort below turns that into a report.
# -no-pie: a sanitized PIE carries millions of relative relocations (ASan's and UBSan's
# descriptors), which every process start pays for; without them each run of multus or of a
# unit test starts ~40% faster (0.6 -> 0.35 s), and the suite starts ~2000 of them.
# SANITIZE_CMAKE_ARGS: more cmake arguments (word-split), e.g. to try other flags.
flags="-Og -g1 -D_GLIBCXX_ASSERTIONS"
# shellcheck disable=SC2086 # a space-separated list of arguments
BUILD_TYPE=Debug ./scripts/build.sh -DMULTUS_SANITIZE=ON -DMULTUS_STATIC=OFF \
  -DCMAKE_CXX_FLAGS_DEBUG="$flags" -DCMAKE_C_FLAGS_DEBUG="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS=-no-pie ${SANITIZE_CMAKE_ARGS:-}
t1=$(stamp)
cpu_into c1

# ---- sanitizer options -----------------------------------------------------------------------
# Every report goes to a file <LOG_DIR>/asan.<exe>.<pid>; a file there is a finding, whatever
# the process' exit code.
#  ASan: halt at the first error and exit (no abort: no core dumps, no SIGABRT a test could
#        mistake for something else); leaks checked at exit (LeakSanitizer: a leak in the
#        short-lived CLI is a finding too; tests/sanitize/lsan.supp lists what we cannot fix,
#        each with why); the checks that are off by default but cheap for short runs; a SIGABRT
#        (std::terminate: an uncaught exception; a failed libstdc++ assertion) and a SIGSEGV
#        are reported with their stack too.
#  UBSan: GCC links libubsan.so beside libasan.so, each with its own copy of sanitizer_common.
#        UBSan's own reports always go to stderr (its log_path is applied, through the
#        interposed __sanitizer_set_report_path, to ASan's report file instead: hence the same
#        log_path, or ASan's reports would go back to stderr). So a UBSan error halts with
#        abort(), and ASan's handle_abort writes that SIGABRT, with the stack through
#        __ubsan_handle_<check> into the faulty frame, to the log dir; the "runtime error:"
#        line itself is on the process' stderr.
rm -rf "$LOG_DIR"
mkdir -p "$LOG_DIR"
chmod 1777 "$LOG_DIR"  # a process that dropped privileges must still be able to report
ASAN_OPTIONS="log_path=$LOG_DIR/asan:log_exe_name=1:halt_on_error=1:abort_on_error=0"
ASAN_OPTIONS+=":detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1"
ASAN_OPTIONS+=":strict_init_order=1:strict_string_checks=1:detect_container_overflow=1"
ASAN_OPTIONS+=":allocator_may_return_null=0:disable_coredump=1:handle_abort=1:handle_segv=1"
LSAN_OPTIONS="suppressions=$LSAN_SUPP:print_suppressions=0"
UBSAN_OPTIONS="log_path=$LOG_DIR/asan:log_exe_name=1:halt_on_error=1:abort_on_error=1"
UBSAN_OPTIONS+=":print_stacktrace=1:report_error_type=1:disable_coredump=1"
export ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS

# The e2e harness builds each multus call's environment from scratch (as kubelet does): it must
# hand the sanitizer options on, or the e2e half of this stage would find nothing that does not
# also change an exit code. Checked here rather than trusted.
passed=$(cd tests/e2e && python3 - <<'EOF'
import types
import multus_e2e
env = multus_e2e.E2EEnv.build_env(types.SimpleNamespace(bin_dir="/nonexistent"), "ADD")
print(" ".join(k for k in ("ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS") if k in env))
EOF
)
if [[ $passed != "ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS" ]]; then
  echo "sanitize.sh: tests/e2e/multus_e2e.py E2EEnv.build_env does not pass ASAN_OPTIONS," \
    "LSAN_OPTIONS and UBSAN_OPTIONS to multus (it passes: '${passed}'); its first line should be" >&2
  echo '  env = {"PATH": BASE_PATH, **{k: v for k, v in os.environ.items() if k in SANITIZER_ENV}}' >&2
  echo '  with SANITIZER_ENV = ("ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS") at module level' >&2
  exit 1
fi

# ---- tests -----------------------------------------------------------------------------------
# Unit tests run two at a time; the e2e tests are RUN_SERIAL (they share the machine's netns
# directory and are timing-sensitive).
ctest_rc=0
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "${CTEST_PARALLEL_LEVEL:-2}" \
  -E "$EXCLUDE" "$@" || ctest_rc=$?
t2=$(stamp)
cpu_into c2

# ---- reports ---------------------------------------------------------------------------------
# Every report in full (the first 20), then one line per report: its kind and the first frame
# in our code (past the sanitizer runtime, libc and libstdc++), to group them at a glance.
mapfile -t reports < <(find "$LOG_DIR" -type f | sort)
for f in "${reports[@]:0:20}"; do
  echo "===== sanitizer report: $f"
  cat "$f"
done
((${#reports[@]} <= 20)) || echo "===== (${#reports[@]} reports: only the first 20 printed)"

ran=$(ctest --test-dir "$BUILD_DIR" -N -E "$EXCLUDE" "$@" | sed -n 's/^Total Tests: //p')
e2e=$(ctest --test-dir "$BUILD_DIR" -N -E "$EXCLUDE" "$@" | grep -c ' e2e\.' || true)
echo
echo "== sanitizer stage (ASan+UBSan+LSan, $BUILD_DIR)"
echo "   build: $((t1 - t0)) s wall, $((c1 - c0)) s CPU; tests: $((t2 - t1)) s wall," \
  "$((c2 - c1)) s CPU; total: $((t2 - t0)) s"
echo "   tests: ${ran:-?} (of which ${e2e} end-to-end); excluded: $EXCLUDE"
echo "   ctest: $([[ $ctest_rc == 0 ]] && echo passed || echo "FAILED (exit $ctest_rc)")"
echo "   sanitizer reports: ${#reports[@]} (in $LOG_DIR)"
for f in "${reports[@]}"; do
  kind=$(grep -m1 'ERROR: ' "$f" | sed -E 's/.*ERROR: //; s/ (on|at) (unknown )?(address|pc).*//')
  ubsan=$(grep -m1 -o -E '__ubsan_handle_[a-z_]+' "$f" || true)
  frame=$(grep -E '^ +#[0-9]+ ' "$f" | grep -v -E 'libsanitizer|/libc|nptl/|sysdeps/|stdlib/|/usr/include/c\+\+|libstdc\+\+|__interceptor_|operator new' |
    head -1 | sed -E 's/^ +#[0-9]+ 0x[0-9a-f]+ in //')
  echo "     $(basename "$f"): ${kind:-?}${ubsan:+ ($ubsan)}: ${frame:-?}"
done
[[ $ctest_rc == 0 && ${#reports[@]} == 0 ]]
