#!/usr/bin/env bash
# test/fuzz/build.sh: build the libFuzzer targets into test/fuzz/build/.
#
#   build/fuzz_b64url   standalone libFuzzer binary over src/base64url.c
#   build/jwt_fuzz.so   every src/*.c plus fuzz_backend.c, instrumented for
#                       libFuzzer, AddressSanitizer and UBSan, for a backend
#                       to load (see run.sh and fuzz_backend.c)
#
# Needs clang-14 and its runtime libraries (Debian: clang-14,
# libclang-rt-14-dev, which carries libFuzzer). Environment: CLANG
# (default clang-14), PG_CONFIG. Rebuilds only what changed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$here/build"
CLANG="${CLANG:-clang-14}"
# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
PG_CONFIG="$(jwt_pg_config)"

command -v "$CLANG" >/dev/null || { echo "error: $CLANG not found (apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 1; }
rtdir="$("$CLANG" -print-runtime-dir)"
fuzzer_lib="$rtdir/libclang_rt.fuzzer_no_main-x86_64.a"
[ -f "$fuzzer_lib" ] || { echo "error: $fuzzer_lib not found (apt-get install libclang-rt-14-dev)" >&2; exit 1; }

mkdir -p "$out/obj"
# Objects compiled against another PostgreSQL (another PG_CONFIG) would
# link, but call what that major's headers declared.
pgstamp="$("$PG_CONFIG" --version) $("$PG_CONFIG" --includedir-server)"
if [ "$(cat "$out/obj/pg_config" 2>/dev/null)" != "$pgstamp" ]; then
	rm -f "$out/obj/"*.o
	printf '%s\n' "$pgstamp" >"$out/obj/pg_config"
fi
sanitize="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-sanitize=alignment"
cflags=(-g -O1 -fno-omit-frame-pointer -fPIC -fwrapv -fno-strict-aliasing
	-Wall -Wno-ignored-attributes -Wno-unused-command-line-argument -Wno-compound-token-split-by-macro
	-D_GNU_SOURCE -I"$root/src" -I"$("$PG_CONFIG" --includedir-server)")

# Objects for the backend library: coverage-instrumented as well.
objs=()
for src in "$root"/src/*.c "$here/fuzz_backend.c"; do
	obj="$out/obj/$(basename "${src%.c}").o"
	objs+=("$obj")
	if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find "$root/src" -name '*.h' -newer "$obj" -print -quit)" ]; then
		# shellcheck disable=SC2086
		"$CLANG" "${cflags[@]}" -fsanitize=fuzzer-no-link $sanitize -c "$src" -o "$obj"
	fi
done
# shellcheck disable=SC2086
"$CLANG" -shared -shared-libasan -Wl,-Bsymbolic $sanitize -o "$out/jwt_fuzz.so" "${objs[@]}" \
	"$fuzzer_lib" -lstdc++ -lcrypto

# shellcheck disable=SC2086
"$CLANG" "${cflags[@]}" -fsanitize=fuzzer $sanitize -o "$out/fuzz_b64url" \
	"$here/fuzz_b64url.c" "$root/src/base64url.c"
