#!/usr/bin/env bash
# The benchmark of issue 10: ADD/DEL of a pod with the cluster network + N NADs through multus
# next to the same delegates run directly, with and without the stand-in apiserver, K pods in
# parallel, and the per-call figures load cannot blur; with build/src/daemon/multus-daemon (or
# --daemon), the plugin's fast path through it as a fourth side. Results (JSON, table, PNG) go to
# bench/results/<date-time>/. Needs root (network namespaces); the work is in bench/run.py.
#   sudo bench/run.sh [--multus build/multus] [--runs 20] [--parts timing,parallel,figures] ...
set -euo pipefail
if [[ $(id -u) -ne 0 ]]; then
  echo "bench/run.sh: needs root (it makes network namespaces)" >&2
  exit 1
fi
exec python3 "$(dirname "$0")/run.py" "$@"
