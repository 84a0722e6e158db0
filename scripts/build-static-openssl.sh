#!/usr/bin/env bash
# Builds a minimal static OpenSSL from Debian's own source package (the version Debian ships,
# with Debian's security patches) into <prefix>, for the static node binaries.
#
#   scripts/build-static-openssl.sh <work-dir> <prefix>
#
# Why not Debian's libssl.a: OpenSSL 3 builds, at the first TLS connection of every process,
# a table of every algorithm its default provider offers, and parses every X.509 key through
# a chain of every decoder. Of one multus ADD with the apiserver (25 M instructions), about 8 M
# went to algorithms a Kubernetes client never negotiates (Camellia, ARIA, SM2/3/4, DES,
# DSA, finite-field DH, binary curves, ...). Left out here, besides those:
#  - TLS below 1.2, DTLS, SRP, NPN (kube-apiserver speaks TLS 1.2 and 1.3 with ECDHE, ALPN);
#  - engines, dynamic modules, the legacy provider, CMS/TS/CMP/CT/OCSP, the console UI;
#  - reading openssl.cnf at all (no-autoload-config): a static binary copied to another
#    distribution must not load that distribution's providers or policies.
# Kept: RSA, RSA-PSS, ECDSA and EdDSA keys and signatures, X25519/X448 and the NIST curves,
# AES-GCM/CCM/CBC, ChaCha20-Poly1305, SHA-1/2/3, PSK (TLS 1.3 resumption), error strings.
# Every function gets its own section (cmake/CodeLayout.cmake).
set -euo pipefail

WORK=$1
PREFIX=$2
JOBS=${JOBS:-$(nproc)}
HERE=$(cd "$(dirname "$0")" && pwd)

version=$("$HERE/debian-source.sh" openssl "$WORK")
rm -rf "$PREFIX"
cd "$WORK/src"
# Debian's own target for this architecture (20-debian.conf: TLS security level 2, as Debian's
# libssl) and Debian's compiler flags (stack protector, _FORTIFY_SOURCE).
# shellcheck disable=SC2046  # the flags are words
./Configure "debian-$(dpkg --print-architecture)" --prefix="$PREFIX" --libdir=lib \
  --openssldir=/usr/lib/ssl $(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get CFLAGS) \
  no-shared no-module no-tests no-legacy no-engine no-dso no-async no-autoload-config \
  no-ssl3 no-tls1 no-tls1_1 no-dtls no-srp no-srtp no-sctp no-nextprotoneg no-weak-ssl-ciphers \
  no-comp no-ct no-ocsp no-cms no-ts no-cmp no-ui-console no-ssl-trace no-deprecated \
  no-idea no-mdc2 no-md4 no-rc2 no-rc4 no-rc5 no-bf no-cast no-des no-seed no-camellia \
  no-aria no-sm2 no-sm3 no-sm4 no-whirlpool no-rmd160 no-blake2 no-siphash no-scrypt \
  no-dsa no-dh no-ec2m no-gost no-ocb no-siv no-filenames \
  -ffunction-sections -fdata-sections >"$WORK/configure.log" 2>&1 ||
  { tail -30 "$WORK/configure.log"; exit 1; }
make -j"$JOBS" build_libs >"$WORK/make.log" 2>&1 || { tail -30 "$WORK/make.log"; exit 1; }
make install_dev >"$WORK/install.log" 2>&1 || { tail -30 "$WORK/install.log"; exit 1; }
echo "$version" >"$PREFIX/DEBIAN_VERSION"
echo "build-static-openssl: OpenSSL $version installed in $PREFIX"
