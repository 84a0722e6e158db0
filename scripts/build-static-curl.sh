#!/usr/bin/env bash
# Builds a minimal static libcurl from Debian's own source package (the version Debian ships,
# with Debian's security patches) into <prefix>: HTTP/1.1 and HTTP/2 (nghttp2), OpenSSL, zlib
# and c-ares for name resolution, so that a static multus never goes through glibc's NSS.
# Everything else (other protocols, cookies, auth schemes, IDN, PSL, ...) is left out.
#
#   scripts/build-static-curl.sh <work-dir> <prefix>
#
# The source is downloaded once into <work-dir>/download (deb-src entries are set up by
# scripts/install-deps.sh); later runs, and rebuilds, work offline from that copy.
set -euo pipefail

WORK=$1
PREFIX=$2
JOBS=${JOBS:-$(nproc)}
mkdir -p "$WORK/download"
cd "$WORK"

if ! compgen -G "download/curl_*.dsc" >/dev/null; then
  echo "build-static-curl: downloading Debian's curl source package"
  (cd download && apt-get source --download-only curl) || {
    echo "build-static-curl: 'apt-get source curl' failed; run scripts/install-deps.sh (as root)" \
      "first: it adds deb-src entries derived from this machine's apt sources" >&2
    exit 1
  }
fi
dsc=$(ls download/curl_*.dsc | sort -V | tail -1)
rm -rf src "$PREFIX"
dpkg-source --no-check -x "$dsc" src >/dev/null  # applies Debian's patches

cd src
./configure --prefix="$PREFIX" --disable-shared --enable-static --with-pic \
  --with-openssl --with-nghttp2 --enable-ares --with-zlib \
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
basename "$dsc" .dsc | sed 's/^curl_//' >"$PREFIX/DEBIAN_VERSION"
echo "build-static-curl: libcurl $(cat "$PREFIX/DEBIAN_VERSION") installed in $PREFIX"
