#!/usr/bin/env bash
# test/symbols/run.sh: jwt.so exports only what PostgreSQL looks up in it.
#
# The expected set is read from the install and upgrade scripts: every C
# symbol they name (AS 'MODULE_PATHNAME', 'symbol'), its pg_finfo_ record,
# Pg_magic_func and _PG_init.  Anything else exported (b64url_decode, ...)
# could be bound to another library's function of the same name loaded into
# the same backend, or take its place: a crash, or worse.
#
# Needs the built jwt.so at the top of the tree (scripts/test.sh builds it).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib.sh
source test/lib.sh

if [ ! -f jwt.so ]; then
	not_ok "symbols: jwt.so is built"
	exit 1
fi
expected="$(mktemp)"
actual="$(mktemp)"
trap 'rm -f "$expected" "$actual"' EXIT
{
	sed -nE "s/.*AS 'MODULE_PATHNAME', '([A-Za-z0-9_]+)'.*/\1/p" jwt--*.sql sql/install/*.sql |
		while read -r sym; do echo "$sym"; echo "pg_finfo_$sym"; done
	echo Pg_magic_func
	echo _PG_init
} | LC_ALL=C sort -u >"$expected"
nm -D --defined-only jwt.so | awk '$2 ~ /^[TDBRVW]$/ { print $3 }' | LC_ALL=C sort -u >"$actual"

extra="$(comm -13 "$expected" "$actual")"
unexported="$(comm -23 "$expected" "$actual")"
if [ -z "$extra" ]; then
	ok "symbols: jwt.so exports nothing but the $(wc -l <"$expected") symbols PostgreSQL looks up"
else
	not_ok "symbols: jwt.so exports nothing but the symbols PostgreSQL looks up"
	printf '# exported, not named by any script: %s\n' $extra
fi
if [ -z "$unexported" ]; then
	ok "symbols: every symbol the scripts name is exported"
else
	not_ok "symbols: every symbol the scripts name is exported"
	printf '# named by a script, not exported: %s\n' $unexported
fi
exit "$failed"
