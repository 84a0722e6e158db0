#!/usr/bin/env bash
# Installs every Debian 12 package the project needs (build, unit tests, end-to-end tests,
# demo and benchmark). Idempotent: packages already installed are not touched, and
# `apt-get update` runs only when a missing package has no install candidate.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  nlohmann-json3-dev libspdlog-dev libfmt-dev libyaml-cpp-dev
  libssl-dev zlib1g-dev libnghttp2-dev libc-ares-dev dpkg-dev
  libcurl4-openssl-dev
  libgtest-dev libgmock-dev
  containernetworking-plugins iproute2 patchelf debootstrap
  python3 openssl jq time procps file lintian
  golang-go golang-github-containerd-go-cni-dev golang-github-appc-cni-dev
  clang libclang-rt-14-dev llvm clang-tidy
  valgrind strace gnuplot-nox lld
)
# libnghttp2-dev, libc-ares-dev and zlib1g-dev provide the static archives the self-contained
# build links; dpkg-dev unpacks Debian's curl and OpenSSL sources, built minimal and static
# (scripts/build-static-{curl,openssl}.sh); lld links the static binaries with their hot code
# laid out together (cmake/CodeLayout.cmake).
# libcurl4-openssl-dev and libssl-dev serve only builds with MULTUS_STATIC=OFF (sanitizers).
# patchelf and debootstrap serve the tests that run multus without the host's userland;
# lintian checks the .deb.
# golang-go and Debian's go-cni/libcni sources build tests/runtime_driver (containerd's CNI calls).
# clang and libclang-rt-14-dev (libFuzzer) build the fuzz targets (scripts/fuzz.sh); llvm's
# llvm-symbolizer gives the sanitizer and fuzzer reports their source lines.
# clang-tidy (clang-tidy-14) checks every file against .clang-tidy (scripts/tidy.sh).
# valgrind (callgrind: instructions), strace (syscalls, fsyncs) and gnuplot-nox (the PNG plot)
# serve the benchmark (bench/run.sh).
# scripts/image.sh builds the container image with these (install-deps.sh --image).
if [[ ${1:-} == --image ]]; then
  PACKAGES+=(buildah)
fi
DEB_SRC_LIST=/etc/apt/sources.list.d/multus-cpp-deb-src.sources

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

# `apt-get source curl` needs deb-src entries: derived from this machine's own apt sources.
ensure_deb_src() {
  if [[ -f $DEB_SRC_LIST ]] && grep -q '^Package: curl' <(apt-cache showsrc curl 2>/dev/null); then
    return
  fi
  local derived
  derived=$(python3 "$(dirname "$0")/apt-deb-src.py")
  printf '%s\n' "$derived" | as_root tee "$DEB_SRC_LIST" >/dev/null
  as_root apt-get update
}

missing=()
for pkg in "${PACKAGES[@]}"; do
  installed "$pkg" || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#PACKAGES[@]} packages are installed"
  ensure_deb_src
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
ensure_deb_src
