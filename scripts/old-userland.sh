#!/usr/bin/env bash
# Makes (once) a Debian bullseye minbase tree (glibc 2.31) in <dir>, from this machine's own
# Debian archive, for the test that runs the static multus in an older userland.
#   scripts/old-userland.sh <dir>
# Exits non-zero, leaving nothing, when debootstrap or the archive cannot provide it.
set -euo pipefail
DIR=$1
[[ -f $DIR/.complete ]] && exit 0
rm -rf "$DIR" "$DIR.partial"
mirror=$(python3 "$(dirname "$0")/apt-deb-src.py" --mirror)
if ! debootstrap --variant=minbase bullseye "$DIR.partial" "$mirror" >"$DIR.log" 2>&1; then
  echo "old-userland: debootstrap bullseye from $mirror failed (log: $DIR.log)" >&2
  rm -rf "$DIR.partial"
  exit 1
fi
mv "$DIR.partial" "$DIR"
touch "$DIR/.complete"
