#!/usr/bin/env bash
# Unpacks Debian's source package <package> (with Debian's patches applied) into <dir>/src,
# downloading it once into <dir>/download; later runs work offline from that copy. Prints the
# Debian version unpacked.
#
#   scripts/debian-source.sh <package> <dir>
#
# An archive can list a version whose files it no longer serves (a security update replaced
# by the next one): the versions `apt-cache showsrc` lists are tried newest first. deb-src
# entries are set up by scripts/install-deps.sh.
set -euo pipefail

PACKAGE=$1
DIR=$2
mkdir -p "$DIR/download"

if ! compgen -G "$DIR/download/${PACKAGE}_*.dsc" >/dev/null; then
  echo "debian-source: downloading Debian's $PACKAGE source package" >&2
  versions=$(apt-cache showsrc "$PACKAGE" 2>/dev/null | awk '/^Version:/ {print $2}' | sort -Vr -u)
  if [[ -z $versions ]]; then
    echo "debian-source: apt knows no source of $PACKAGE; run scripts/install-deps.sh (as root)" \
      "first: it adds deb-src entries derived from this machine's apt sources" >&2
    exit 1
  fi
  for version in $versions; do
    if (cd "$DIR/download" && apt-get source --download-only "$PACKAGE=$version" >/dev/null 2>&1) &&
      compgen -G "$DIR/download/${PACKAGE}_*.dsc" >/dev/null; then
      break
    fi
    echo "debian-source: $PACKAGE $version could not be downloaded, trying an older one" >&2
    find "$DIR/download" -mindepth 1 -delete
  done
  if ! compgen -G "$DIR/download/${PACKAGE}_*.dsc" >/dev/null; then
    echo "debian-source: no version of $PACKAGE could be downloaded ($(echo $versions))" >&2
    exit 1
  fi
fi
dsc=$(ls "$DIR"/download/"${PACKAGE}"_*.dsc | sort -V | tail -1)
rm -rf "$DIR/src"
dpkg-source --no-check -x "$dsc" "$DIR/src" >/dev/null  # applies Debian's patches
basename "$dsc" .dsc | sed "s/^${PACKAGE}_//"
