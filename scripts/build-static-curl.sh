#!/usr/bin/env bash
# Builds a minimal static libcurl from Debian's own source package (the version Debian ships,
# with Debian's security patches) into <prefix>: HTTP/1.1 and HTTP/2 (nghttp2), OpenSSL, zlib
# and c-ares for name resolution, so that a static multus never goes through glibc's NSS.
# Everything else (other protocols, cookies, auth schemes, IDN, PSL, ...) is left out.
#
#   scripts/build-static-curl.sh <work-dir> <prefix> <openssl-prefix>
#
# <openssl-prefix>: the static OpenSSL it links (scripts/build-static-openssl.sh). The source
# is downloaded once into <work-dir>/download (scripts/debian-source.sh); later runs, and
# rebuilds, work offline from that copy.
set -euo pipefail

WORK=$1
PREFIX=$2
OPENSSL_PREFIX=$3
JOBS=${JOBS:-$(nproc)}
HERE=$(cd "$(dirname "$0")" && pwd)

version=$("$HERE/debian-source.sh" curl "$WORK")
rm -rf "$PREFIX"
cd "$WORK/src"
# Debian's compiler flags (stack protector, _FORTIFY_SOURCE), and one section per function so
# that the static binaries' link can lay out and drop them (cmake/CodeLayout.cmake).
CPPFLAGS="$(dpkg-buildflags --get CPPFLAGS)" \
  CFLAGS="$(dpkg-buildflags --get CFLAGS) -ffunction-sections -fdata-sections" \
  ./configure --prefix="$PREFIX" \
  --disable-shared --enable-static --with-pic \
  --with-openssl="$OPENSSL_PREFIX" --with-nghttp2 --enable-ares --with-zlib \
  --without-libidn2 --without-libpsl --without-brotli --without-zstd --without-librtmp \
  --without-libssh2 --without-libssh --without-gssapi --without-hyper \
  --without-ngtcp2 --without-quiche --without-nghttp3 \
  --disable-ldap --disable-ldaps --disable-rtsp --disable-dict --disable-telnet --disable-tftp \
  --disable-pop3 --disable-imap --disable-smb --disable-smtp --disable-gopher --disable-mqtt \
  --disable-ftp --disable-file --disable-manual --disable-ntlm --disable-ntlm-wb \
  --disable-cookies --disable-netrc --disable-alt-svc --disable-hsts --disable-dateparse \
  --disable-doh --disable-mime --disable-get-easy-options --disable-socketpair \
  --disable-progress-meter --disable-aws --disable-kerberos-auth --disable-negotiate-auth \
  --disable-digest-auth \
  --without-ca-bundle --without-ca-path >"$WORK/configure.log" 2>&1 ||
  { tail -30 "$WORK/configure.log"; exit 1; }
make -j"$JOBS" -C lib >"$WORK/make.log" 2>&1 || { tail -30 "$WORK/make.log"; exit 1; }
make -C lib install >/dev/null
make -C include install >/dev/null
echo "$version" >"$PREFIX/DEBIAN_VERSION"
echo "build-static-curl: libcurl $version installed in $PREFIX"
