#!/usr/bin/env bash
# Installs the standard Pact CLI (npm @pact-foundation/pact-cli, whose `pact verifier` is the Pact
# Foundation's Rust verifier) once, verified, for the contract tests to run exactly as a non-Go team
# would: `pact verifier --file … --hostname … --port … --state-change-url …`.
#
#   contracts/install-pact-cli.sh DEST_DIR
#
# DEST_DIR receives node_modules/@pact-foundation/pact-cli (the `pact` launcher, run by Node.js),
# node_modules/@pact-foundation/pact-cli-linux-x64 (the static `pact` binary it starts) and
# node_modules/.bin/pact, laid out as `npm install` would. Both tarballs are fetched with `npm pack`
# (the npm cache makes a re-run offline) and checked against their pinned npm integrity (sha512)
# before anything is extracted; the binary is checked against its pinned sha256. The new tree
# replaces DEST_DIR only when complete, and nothing is done when DEST_DIR already holds the pinned
# versions, so it is safe to run again. Nothing here runs during the tests: `make setup-pact-cli` does.
set -euo pipefail

SCRIPT_NAME="install-pact-cli"
VERSION="18.1.2"
PKG="@pact-foundation/pact-cli"
INTEGRITY="sha512-XUcV77Ydh/EpsJtv5WCPyk6wmGpipvB7PNxCgntQVQnR5+gfIsG30qw7TUOcfO4Sa2V100cptdTMH9jA5pK1CA=="
PLATFORM_PKG="@pact-foundation/pact-cli-linux-x64"
PLATFORM_INTEGRITY="sha512-9tkTehi+zUxFMoB4R1V80qwZhGQpzu02efXldA4KANYDoSDyc9JcH61OGspTrRwptNwscOVxrly3yn42zTZGFA=="
BIN_IN_PLATFORM="standalone/pact"
BIN_SHA256="d69be30fb034789e9cbd8dc170fd2bc794860e8202c6b9144585adc2ecec345d"
STAMP=".agentshape-pinned"

# shellcheck source=contracts/npm-verified.sh
. "$(dirname "$0")/npm-verified.sh"
dest="$(installer_args "e.g. .cache/pact/cli" "run: npm install $PKG@$VERSION, then use its pact" "$@")"
dest="${dest%/}"

want_stamp="$PKG@$VERSION $INTEGRITY
$PLATFORM_PKG@$VERSION $PLATFORM_INTEGRITY"
bin="$dest/node_modules/$PLATFORM_PKG/$BIN_IN_PLATFORM"
if [ -f "$dest/$STAMP" ] && [ "$(cat "$dest/$STAMP")" = "$want_stamp" ] && [ -x "$dest/node_modules/.bin/pact" ] &&
   [ -f "$bin" ] && [ "$(sha256_of "$bin")" = "$BIN_SHA256" ]; then
  exit 0 # already installed and verified
fi

npm_need_tools "$PKG@$VERSION"
command -v node >/dev/null || die "node not found: install Node.js (the pact launcher runs on it)"

parent="$(dirname "$dest")"
mkdir -p "$parent" || die "cannot create $parent: pick a writable DEST_DIR"
parent="$(cd "$parent" && pwd)"
dest="$parent/$(basename "$dest")"
work="$(mktemp -d "$parent/.pact-cli.XXXXXX")"
trap 'rm -rf "$work"' EXIT

tgz="$(npm_fetch_verified "$PKG" "$VERSION" "$INTEGRITY" "$work")"
platform_tgz="$(npm_fetch_verified "$PLATFORM_PKG" "$VERSION" "$PLATFORM_INTEGRITY" "$work")"

tree="$work/tree"
for pair in "$PKG:$tgz" "$PLATFORM_PKG:$platform_tgz"; do
  dir="$tree/node_modules/${pair%%:*}"
  mkdir -p "$dir"
  tar -xzf "${pair#*:}" -C "$dir" --strip-components=1 || die "cannot unpack ${pair%%:*}@$VERSION"
done
got="$(sha256_of "$tree/node_modules/$PLATFORM_PKG/$BIN_IN_PLATFORM")"
[ "$got" = "$BIN_SHA256" ] || die "sha256 mismatch for $PLATFORM_PKG/$BIN_IN_PLATFORM: want $BIN_SHA256, got $got"
[ -f "$tree/node_modules/$PKG/bin/pact.js" ] || die "$PKG@$VERSION has no bin/pact.js"
chmod 0755 "$tree/node_modules/$PKG/bin/pact.js" "$tree/node_modules/$PLATFORM_PKG/$BIN_IN_PLATFORM"
mkdir -p "$tree/node_modules/.bin"
ln -s "../$PKG/bin/pact.js" "$tree/node_modules/.bin/pact"
printf '%s\n' "$want_stamp" >"$tree/$STAMP"

# Swap the complete tree in: the old one (if any) moves aside first and goes only once the new one is there.
if [ -e "$dest" ]; then
  mv "$dest" "$work/old" || die "cannot replace $dest: check its permissions"
fi
if ! mv "$tree" "$dest"; then
  [ -e "$work/old" ] && mv "$work/old" "$dest"
  die "cannot move the new install to $dest"
fi
echo "$SCRIPT_NAME: installed $PKG@$VERSION to $dest (run $dest/node_modules/.bin/pact)" >&2
