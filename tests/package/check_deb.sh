#!/usr/bin/env bash
# The .deb, as a packager would check it: built with cpack from the build tree, then
#  - lintian reports no error (static linking is declared in the package's overrides);
#  - no run-time Depends (the executables are static) when built with MULTUS_STATIC;
#  - copyright, changelog and a real maintainer field;
#  - the installed multus, multus-install, multus-daemon and multus-shim are static; multus runs.
#   check_deb.sh <build-dir> <static:ON|OFF>
set -euo pipefail
BUILD=$1
STATIC=$2
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

cpack --config "$BUILD/CPackConfig.cmake" -G DEB -B "$OUT" >"$OUT/cpack.log" 2>&1 ||
  { cat "$OUT/cpack.log"; exit 1; }
deb=$(ls "$OUT"/*.deb)
echo "package: $(basename "$deb") ($(stat -c %s "$deb") bytes)"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
maintainer=$(dpkg-deb -f "$deb" Maintainer)
[[ $maintainer == *"<"*"@"*">" && $maintainer != *"@localhost>" ]] ||
  fail "maintainer field is not a real address: $maintainer"
contents=$(dpkg-deb -c "$deb")
for path in ./usr/bin/multus ./usr/bin/multus-install ./usr/bin/multus-daemon ./usr/bin/multus-shim \
  ./usr/share/doc/multus-cpp/copyright \
  ./usr/share/doc/multus-cpp/changelog.Debian.gz; do
  grep -q " $path\$" <<<"$contents" || fail "$path is not in the package"
done

if [[ $STATIC == ON ]]; then
  depends=$(dpkg-deb -f "$deb" Depends)
  [[ -z $depends ]] || fail "a static build must not depend on anything: Depends: $depends"
  dpkg-deb -x "$deb" "$OUT/root"
  for bin in multus multus-install multus-daemon multus-shim; do
    file "$OUT/root/usr/bin/$bin" | grep -q 'statically linked' || fail "$bin is not static"
  done
  "$OUT/root/usr/bin/multus" --version | grep -q '^multus: version:' || fail "multus does not run"
fi

# Errors fail; warnings and infos are printed for the record.
lintian --fail-on error --tag-display-limit 0 "$deb" | tee "$OUT/lintian.log"
echo "lintian: no error"
