#!/usr/bin/env bash
# Installs the Debian packages agentshape's plugin builds and tests need, once:
# clang, lld and wasi-libc (C), wabt (WAT), binaryen, rustc with the Rust
# standard library for wasm32-wasi (Rust; /usr/bin/rustc, found by
# plugins/kits/rust/find-rustc.sh even when another rustc is first on PATH).
# docker-registry (CNCF distribution) is the real OCI registry the plugin
# registry tests start on a loopback port (internal/testregistry); its own
# service is not used.
set -euo pipefail
pkgs=(clang lld wasi-libc libclang-rt-dev-wasm32 wabt binaryen rustc libstd-rust-dev-wasm32 docker-registry)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# AssemblyScript plugins build with Node.js and npm (the machine image usually has them).
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
echo "installing Debian packages: ${missing[*]}" >&2
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
