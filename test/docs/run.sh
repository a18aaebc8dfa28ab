#!/usr/bin/env bash
# test/docs/run.sh: every function, table, view and setting the extension
# installs is documented in docs/reference.md, with the fields its kind
# needs, and the documented markings (volatility, parallel safety,
# strictness, SECURITY DEFINER, PUBLIC's privileges, a setting's context)
# match the catalogs; no section documents an object that does not exist.
# The rules are at the top of docs/reference.md; check.sql does the work.
#
# Needs PGHOST/PGPORT/PGUSER/PGDATABASE for a database with the extension
# (a superuser session: it loads the library to see the jwt.* settings).
# JWT_REFERENCE overrides the file checked.
# Prints "ok - ..." / "not ok - ..." lines; exits 1 when a check failed.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=test/lib.sh
source "$here/../lib.sh"
doc="${JWT_REFERENCE:-$here/../../docs/reference.md}"
[ -f "$doc" ] || bail "docs: $doc exists"
out="$(psql -X -q -At -v ON_ERROR_STOP=1 -v doc="$(cat "$doc")" -f "$here/check.sql" 2>&1)" || {
	bail "docs: check.sql ran" "$out"
}
printf '%s\n' "$out"
! printf '%s\n' "$out" | grep -q '^not ok'
