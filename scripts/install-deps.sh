#!/usr/bin/env bash
# Installs every Debian 12 package the project needs (build, unit tests, end-to-end tests,
# demo and benchmark). Idempotent: packages already installed are not touched, and
# `apt-get update` runs only when a missing package has no install candidate.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  nlohmann-json3-dev libspdlog-dev libfmt-dev libyaml-cpp-dev
  libcurl4-openssl-dev libssl-dev zlib1g-dev
  libgtest-dev libgmock-dev libmnl-dev
  containernetworking-plugins iproute2
  python3 openssl jq time procps
)

export DEBIAN_FRONTEND=noninteractive

as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo --preserve-env=DEBIAN_FRONTEND "$@"
  else
    echo "install-deps: need root (or sudo) to run: $*" >&2
    exit 1
  fi
}

installed() {
  [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]
}

has_candidate() {
  local candidate
  candidate=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}')
  [[ -n $candidate && $candidate != "(none)" ]]
}

missing=()
for pkg in "${PACKAGES[@]}"; do
  installed "$pkg" || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#PACKAGES[@]} packages are installed"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"

need_update=0
for pkg in "${missing[@]}"; do
  has_candidate "$pkg" || { need_update=1; break; }
done
if [[ $need_update -eq 1 ]]; then
  as_root apt-get update
fi

if ! as_root apt-get install -y --no-install-recommends "${missing[@]}"; then
  # Stale package lists give 404s: refresh once and retry.
  as_root apt-get update
  as_root apt-get install -y --no-install-recommends "${missing[@]}"
fi
