#!/usr/bin/env bash
# Interoperability tests: HS256/HS384/HS512 tokens between the jwt extension
# and node's jose + jsonwebtoken and Debian's python3-jwt (PyJWT).
#
# Run with PGHOST/PGPORT/PGUSER/PGDATABASE pointing at a database that has
# CREATE EXTENSION jwt.  Prints "ok - ..." / "not ok - ..." lines and exits
# non-zero when any check failed.
#
#   1. node and python sign tokens (good secret, wrong secret, alg "none");
#      verify_tokens.sql checks them with jwt_verify / jwt_validate.
#   2. sign_tokens.sql makes tokens with jwt_sign; node_check.mjs and
#      py_check.py verify them (and reject them under the wrong secret).
#
# Test data: claims.json (claims for every token), secrets.json (fixed
# test-only secrets).  Node packages are pinned in package.json and installed
# into node_modules/ (not committed) when missing or out of date.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON=/usr/bin/python3
PSQL=(psql -XAtq -v ON_ERROR_STOP=1)

fail() { echo "not ok - $1"; shift; for l in "$@"; do echo "# $l"; done; exit 1; }

command -v node >/dev/null || fail "interop: node is on PATH"
command -v npm >/dev/null || fail "interop: npm is on PATH"
command -v psql >/dev/null || fail "interop: psql is on PATH"
[[ -x "$PYTHON" ]] || fail "interop: $PYTHON exists"
if ! pyerr="$("$PYTHON" -c 'import jwt; jwt.encode; jwt.decode' 2>&1)"; then
	fail "interop: $PYTHON can import jwt (Debian package python3-jwt)" \
		"${pyerr##*$'\n'}" "install it with: apt-get install python3-jwt python3-jwcrypto"
fi

export PGCLIENTENCODING=UTF8
if ! dbinfo="$("${PSQL[@]}" -c "SELECT current_setting('server_encoding') || ' ' ||
		coalesce((SELECT extversion FROM pg_extension WHERE extname = 'jwt'), 'missing')" 2>&1)"; then
	fail "interop: connect to the test database" "$dbinfo"
fi
[[ "${dbinfo#* }" != missing ]] || fail "interop: extension jwt is installed in the test database"
# The claims hold non-ASCII text (also as \u escapes, which jsonb accepts only in UTF8).
[[ "${dbinfo%% *}" == UTF8 ]] || fail "interop: test database encoding is UTF8 (is ${dbinfo%% *})"

# Install the pinned node packages unless node_modules already matches package.json.
stamp="$here/node_modules/.interop-package.json"
if ! cmp -s "$here/package.json" "$stamp"; then
	rm -f "$stamp"
	if ! npmout="$(cd "$here" && npm install --no-audit --no-fund --no-package-lock --silent 2>&1)"; then
		fail "interop: npm install of jose and jsonwebtoken" "$npmout"
	fi
	cp "$here/package.json" "$stamp"
fi

tmp="$(mktemp -d)"
trap 'rm -rf -- "$tmp"' EXIT

out="$tmp/results"
: >"$out"
# Run one step; its TAP lines go to stdout and $out.  A step that exits with
# status >= 2 (crashed, not just a failed check) adds a "not ok" of its own.
step() {
	local name="$1" rc=0
	shift
	"$@" >"$tmp/step.out" 2>"$tmp/step.err" || rc=$?
	tee -a "$out" <"$tmp/step.out"
	if ((rc >= 2)) || { ((rc == 1)) && ! grep -q '^not ok' "$tmp/step.out"; }; then
		{
			echo "not ok - interop: $name ran to completion (exit status $rc)"
			sed 's/^/# /' "$tmp/step.err"
		} | tee -a "$out"
	fi
}

secrets="$(cat "$here/secrets.json")"
claims="$(cat "$here/claims.json")"

psql_file() { # psql_file SQLFILE VAR=VALUE...
	local f="$1" args=()
	shift
	for a in "$@"; do args+=(-v "$a"); done
	"${PSQL[@]}" "${args[@]}" -f "$f"
}

# 1. Library-made tokens, verified by the extension.
if node "$here/node_check.mjs" sign >"$tmp/node_tokens.json" 2>"$tmp/node_sign.err"; then
	step "jwt_verify of node tokens" psql_file "$here/verify_tokens.sql" \
		"tokens=$(cat "$tmp/node_tokens.json")" "secrets=$secrets"
else
	{ echo "not ok - interop: node (jose, jsonwebtoken) signs test tokens"; sed 's/^/# /' "$tmp/node_sign.err"; } | tee -a "$out"
fi
if "$PYTHON" "$here/py_check.py" sign >"$tmp/py_tokens.json" 2>"$tmp/py_sign.err"; then
	step "jwt_verify of python-jwt tokens" psql_file "$here/verify_tokens.sql" \
		"tokens=$(cat "$tmp/py_tokens.json")" "secrets=$secrets"
else
	{ echo "not ok - interop: python-jwt signs test tokens"; sed 's/^/# /' "$tmp/py_sign.err"; } | tee -a "$out"
fi

# 2. jwt_sign tokens, verified by the libraries.
if psql_file "$here/sign_tokens.sql" "claims=$claims" "secrets=$secrets" >"$tmp/sql_tokens.json" 2>"$tmp/sql_sign.err" &&
	[[ -s "$tmp/sql_tokens.json" ]]; then
	step "node verification of jwt_sign tokens" node "$here/node_check.mjs" verify "$tmp/sql_tokens.json"
	step "python-jwt verification of jwt_sign tokens" "$PYTHON" "$here/py_check.py" verify "$tmp/sql_tokens.json"
else
	{ echo "not ok - interop: jwt_sign makes the test tokens"; sed 's/^/# /' "$tmp/sql_sign.err"; } | tee -a "$out"
fi

passed="$(grep -c '^ok' "$out" || true)"
failed="$(grep -c '^not ok' "$out" || true)"
echo "# interop: $passed passed, $failed failed"
if ((failed > 0 || passed == 0)); then
	exit 1
fi
