# Sourced by the contracts/install-*.sh scripts: fetch an npm package tarball once and check it
# against its pinned npm integrity (sha512) before anything is extracted.
#
#   npm_fetch_verified PKG VERSION INTEGRITY WORKDIR   prints the path of the verified tarball
#
# The tarball comes from `npm pack` (the npm cache makes a re-run offline). Callers set SCRIPT_NAME
# before sourcing; `die` reports through it.

die() { echo "${SCRIPT_NAME:-install}: $*" >&2; exit 1; }

# installer_args USAGE_EXAMPLE OTHER_PLATFORM_HINT "$@": checks the one DEST_DIR argument and the
# pinned platform (linux/x86_64), and prints DEST_DIR.
installer_args() {
  local example="$1" hint="$2"
  shift 2
  [ $# -eq 1 ] || die "usage: $0 DEST_DIR ($example)"
  case "$(uname -s)/$(uname -m)" in
    Linux/x86_64) ;;
    *) die "only linux/x86_64 is pinned; on $(uname -s)/$(uname -m) $hint" ;;
  esac
  printf '%s\n' "$1"
}

npm_need_tools() {
  command -v npm >/dev/null || die "npm not found: install Node.js/npm (needed once to fetch $1)"
  command -v openssl >/dev/null || die "openssl not found: install it (used to check the npm integrity hash)"
}

npm_fetch_verified() {
  local pkg="$1" version="$2" integrity="$3" work="$4" out tgz got
  out="$(cd "$(mktemp -d "$work/pack.XXXXXX")" && pwd)"
  echo "${SCRIPT_NAME:-install}: fetching $pkg@$version with npm pack" >&2
  if ! (cd "$out" && npm pack --silent "$pkg@$version" >"$out/npm-pack.out" 2>"$out/npm-pack.err"); then
    cat "$out/npm-pack.err" >&2
    die "npm pack $pkg@$version failed: check access to the npm registry ($(npm config get registry 2>/dev/null || echo '?'))"
  fi
  tgz="$out/$(tail -n1 "$out/npm-pack.out")"
  [ -f "$tgz" ] || die "npm pack did not produce a tarball (output: $(cat "$out/npm-pack.out"))"
  got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
  [ "$got" = "$integrity" ] || die "integrity mismatch for $pkg@$version: want $integrity, got $got — refusing to install; the registry served a different tarball"
  printf '%s\n' "$tgz"
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }
