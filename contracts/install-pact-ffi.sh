#!/usr/bin/env bash
# Installs libpact_ffi (the Pact core library that pact-go/v2 links through cgo) once, verified.
#
#   contracts/install-pact-ffi.sh DEST_DIR
#
# The library comes from the npm package @pact-foundation/pact-core-linux-x64-glibc@20.2.0
# (libpact_ffi 0.5.8). The tarball is fetched with `npm pack` (the npm cache makes a re-run offline),
# checked against the pinned npm integrity (sha512) before anything is extracted, and the library is
# checked against its pinned sha256 before it is installed. Installation is atomic (copy + rename) and
# the script does nothing when DEST_DIR already holds the pinned library, so it is safe to run again.
# When DEST_DIR is a system library directory and we are root, ldconfig refreshes the loader cache.
#
# Nothing here runs during the tests: `make setup-pact` runs it, the tests only link the result.
set -euo pipefail

PKG="@pact-foundation/pact-core-linux-x64-glibc"
VERSION="20.2.0"
INTEGRITY="sha512-sj2gGwCkq1QPIXrXW7jaGKAmn5eJIAgNURKAVqE9z2+uEZWqIni/Bp2Jh6xt4L+nyHOZ5F/pZ/J1FxKf//ilEw=="
LIB_IN_TGZ="package/prebuilds/linux-x64/libpact_ffi.so"
LIB_SHA256="f7ffaa50e2a1cba232e65ab8d089a06e9a95f7780582201c723553d52145a5e9"
LIB="libpact_ffi.so"

SCRIPT_NAME="install-pact-ffi"
# shellcheck source=contracts/npm-verified.sh
. "$(dirname "$0")/npm-verified.sh"
dest="$(installer_args "e.g. /usr/local/lib, or a project-local lib dir" \
  "(glibc) install libpact_ffi 0.5.x yourself and set CGO_LDFLAGS/LD_LIBRARY_PATH" "$@")"

if [ -f "$dest/$LIB" ] && [ "$(sha256_of "$dest/$LIB")" = "$LIB_SHA256" ]; then
  exit 0 # already installed and verified
fi

npm_need_tools "$PKG@$VERSION"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

tgz="$(npm_fetch_verified "$PKG" "$VERSION" "$INTEGRITY" "$work")"

tar -xzf "$tgz" -C "$work" "$LIB_IN_TGZ" || die "$LIB_IN_TGZ missing from $PKG@$VERSION"
got="$(sha256_of "$work/$LIB_IN_TGZ")"
[ "$got" = "$LIB_SHA256" ] || die "sha256 mismatch for $LIB_IN_TGZ: want $LIB_SHA256, got $got"

mkdir -p "$dest" || die "cannot create $dest: run as root for a system dir, or pick a writable dir"
tmp="$dest/.$LIB.$$"
install -m 0755 "$work/$LIB_IN_TGZ" "$tmp" || die "cannot write to $dest: run as root for a system dir, or pick a writable dir"
mv -f "$tmp" "$dest/$LIB"

if [ "$(id -u)" -eq 0 ] && command -v ldconfig >/dev/null; then
  case "$dest" in
    /usr/lib|/usr/lib64|/usr/local/lib|/usr/local/lib64|/lib|/lib64) ldconfig ;;
  esac
fi
echo "install-pact-ffi: installed libpact_ffi 0.5.8 ($PKG@$VERSION) to $dest/$LIB" >&2
