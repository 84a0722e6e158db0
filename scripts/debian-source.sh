#!/usr/bin/env bash
# Unpacks Debian's source package <package> (with Debian's patches applied) into <dir>/src,
# downloading it once into <dir>/download; later runs work offline from that copy. Prints the
# Debian version unpacked.
#
#   scripts/debian-source.sh <package> <dir>
#
# An archive can list a version whose files it no longer serves (a security update it has
# already replaced on its mirrors): the versions `apt-cache showsrc` lists are tried newest
# first, and using an older one is said on stderr. apt checks what it downloads against the
# archive's signed index. deb-src entries are set up by scripts/install-deps.sh.
set -euo pipefail

PACKAGE=$1
DIR=$2
mkdir -p "$DIR"

if ! compgen -G "$DIR/download/${PACKAGE}_*.dsc" >/dev/null; then
  echo "debian-source: downloading Debian's $PACKAGE source package" >&2
  versions=$(apt-cache showsrc "$PACKAGE" 2>/dev/null | awk '/^Version:/ {print $2}' | sort -Vr -u)
  if [[ -z $versions ]]; then
    echo "debian-source: apt knows no source of $PACKAGE; run scripts/install-deps.sh (as root)" \
      "first: it adds deb-src entries derived from this machine's apt sources" >&2
    exit 1
  fi
  newest=$(head -1 <<<"$versions")
  # Into a scratch directory renamed when complete: an interrupted download is never taken
  # for a finished one.
  rm -rf "$DIR/download" "$DIR/download.part"
  for version in $versions; do
    mkdir "$DIR/download.part"
    if (cd "$DIR/download.part" && apt-get source --download-only "$PACKAGE=$version") \
      >>"$DIR/download.log" 2>&1; then
      mv "$DIR/download.part" "$DIR/download"
      break
    fi
    rm -rf "$DIR/download.part"
    echo "debian-source: $PACKAGE $version could not be downloaded (see $DIR/download.log)" >&2
  done
  if [[ ! -d $DIR/download ]]; then
    echo "debian-source: no version of $PACKAGE could be downloaded: $(echo $versions)" >&2
    exit 1
  fi
  if [[ $version != "$newest" ]]; then
    echo "debian-source: WARNING: using $PACKAGE $version, not the newest listed ($newest)," \
      "which the archive does not serve; delete $DIR/download to try again" >&2
  fi
fi
dsc=$(ls "$DIR"/download/"${PACKAGE}"_*.dsc | sort -V | tail -1)
rm -rf "$DIR/src"
dpkg-source --no-check --no-copy -x "$dsc" "$DIR/src" >/dev/null  # applies Debian's patches
basename "$dsc" .dsc | sed "s/^${PACKAGE}_//"
