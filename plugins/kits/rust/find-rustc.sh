#!/bin/sh
# find-rustc.sh — print "RUSTC TARGET": a rustc that can build agentshape
# plugins (it has the Rust standard library for a WASI preview 1 target) and
# that target's name. A newer rustc first on PATH (rustup's, say) may lack
# the wasm target while Debian's /usr/bin/rustc has it, so every candidate is
# probed: $RUSTC if set, each rustc on PATH, then $RUSTC_FALLBACK (default
# /usr/bin/rustc; set it empty to skip it); for each,
# wasm32-wasip1 (rustc 1.78 and later) and wasm32-wasi (rustc 1.83 and
# earlier; Debian bookworm's rustc 1.63). A target counts when
# `rustc --print target-libdir --target T` names a directory holding libstd
# and the linker rustc uses for it, rust-lld, is there.
#
# Exits 1 with what was tried and what to install when none fits.
set -u
tried=""
candidates=""
if [ -n "${RUSTC:-}" ]; then candidates="$RUSTC"; fi
old_ifs=$IFS
IFS=:
for dir in ${PATH:-}; do
	[ -n "$dir" ] && [ -x "$dir/rustc" ] && candidates="$candidates
$dir/rustc"
done
IFS=$old_ifs
candidates="$candidates
${RUSTC_FALLBACK-/usr/bin/rustc}"
seen=""
newline='
'
IFS=$newline
for rustc in $candidates; do
	[ -n "$rustc" ] || continue
	case "$newline$seen$newline" in *"$newline$rustc$newline"*) continue ;; esac
	seen="$seen$newline$rustc"
	if ! command -v "$rustc" >/dev/null 2>&1; then
		tried="$tried
  $rustc: not found"
		continue
	fi
	version=$("$rustc" --version 2>/dev/null || echo "unknown version")
	for target in wasm32-wasip1 wasm32-wasi; do
		libdir=$("$rustc" --print target-libdir --target "$target" 2>/dev/null) || continue
		for lib in "$libdir"/libstd-*.rlib; do
			[ -f "$lib" ] || continue
			# rustc links wasm with rust-lld: its own copy under the sysroot
			# (rustup), or the one on PATH (Debian: /usr/bin/rust-lld, from lld).
			sysroot=${libdir%/lib/rustlib/*}
			for lld in "$sysroot"/lib/rustlib/*/bin/rust-lld; do
				if [ -x "$lld" ] || command -v rust-lld >/dev/null 2>&1; then
					printf '%s %s\n' "$rustc" "$target"
					exit 0
				fi
			done
			tried="$tried
  $rustc ($version): has $target but not its linker rust-lld (Debian: apt-get install lld)"
			continue 3
		done
	done
	tried="$tried
  $rustc ($version): no standard library for wasm32-wasip1 or wasm32-wasi"
done
printf '%s\n' "agentshape: no rustc here can build a WASI plugin (wasm32-wasip1 or wasm32-wasi)." \
	"Tried:${tried:-
  no rustc on PATH}" \
	"Install one:" \
	"  Debian/Ubuntu: apt-get install rustc libstd-rust-dev-wasm32 lld   (/usr/bin/rustc, target wasm32-wasi)" \
	"  rustup:        rustup target add wasm32-wasip1" \
	"or set RUSTC to a rustc that has the target." >&2
exit 1
