#!/usr/bin/env bash
# Interoperability tests: tokens between the jwt extension and node's jose +
# jsonwebtoken and Debian's python3-jwt (PyJWT) + python3-jwcrypto, for
# HS256/384/512, RS256/384/512, PS256/384/512, ES256/384/512, ES256K and
# EdDSA (Ed25519, Ed448).
#
# Run with PGHOST/PGPORT/PGUSER/PGDATABASE pointing at a database that has
# CREATE EXTENSION jwt.  Prints "ok - ..." / "not ok - ..." lines (and
# "# skip: ..." comments where a library lacks an algorithm; another library
# covers it) and exits non-zero when any check failed.
#
#   1. node and python sign HS tokens (good secret, wrong secret, alg "none");
#      verify_tokens.sql checks them with jwt_verify / jwt_validate.
#   2. sign_tokens.sql makes HS tokens with jwt_sign; node_check.mjs and
#      py_check.py verify them (and reject them under the wrong secret).
#   3. node generates two keys of every asymmetric type (and, with the
#      openssl command, a certificate for one of each) into the temporary
#      directory; node and python sign tokens with them, and HS tokens keyed
#      with public key text (the algorithm confusion forgery);
#      asym_verify_tokens.sql checks them with the public key as SPKI or
#      PKCS#1 PEM, certificate, JWK and JWK Set, and rejects the wrong-key,
#      unknown-kid, wrong-key-type and confusion tokens.
#   4. asym_sign_tokens.sql makes tokens with jwt_sign (private key as PKCS#8,
#      PKCS#1 or SEC1 PEM, JWK or JWK Set), plus batches of ECDSA tokens;
#      node_check.mjs and py_check.py verify them and check the signature
#      sizes (ECDSA in raw r||s form, fixed width).
#
# Test data: claims.json (claims for every token), secrets.json (fixed
# test-only secrets), asym_cases.json (algorithms, key forms, key types).
# Node packages are pinned in package.json and installed into node_modules/
# (not committed) when missing or out of date.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON=/usr/bin/python3
PSQL=(psql -XAtq -v ON_ERROR_STOP=1)

# shellcheck source=test/lib.sh
source "$here/../lib.sh"

command -v node >/dev/null || bail "interop: node is on PATH"
command -v npm >/dev/null || bail "interop: npm is on PATH"
command -v psql >/dev/null || bail "interop: psql is on PATH"
command -v openssl >/dev/null || bail "interop: openssl is on PATH (it makes the test certificates)"
[[ -x "$PYTHON" ]] || bail "interop: $PYTHON exists"
# -I: not the current directory's jwt.so (the extension) as module "jwt".
if ! pyerr="$("$PYTHON" -I -c 'import jwt; jwt.encode; jwt.decode' 2>&1)"; then
	bail "interop: $PYTHON can import jwt (Debian package python3-jwt)" \
		"${pyerr##*$'\n'}" "install it with: apt-get install python3-jwt python3-jwcrypto"
fi
if ! pyerr="$("$PYTHON" -I -c 'import jwcrypto.jwk, jwcrypto.jwt' 2>&1)"; then
	bail "interop: $PYTHON can import jwcrypto (Debian package python3-jwcrypto)" \
		"${pyerr##*$'\n'}" "install it with: apt-get install python3-jwt python3-jwcrypto"
fi

export PGCLIENTENCODING=UTF8
if ! dbinfo="$("${PSQL[@]}" -c "SELECT current_setting('server_encoding') || ' ' ||
		coalesce((SELECT extversion FROM pg_extension WHERE extname = 'jwt'), 'missing')" 2>&1)"; then
	bail "interop: connect to the test database" "$dbinfo"
fi
[[ "${dbinfo#* }" != missing ]] || bail "interop: extension jwt is installed in the test database"
# The claims hold non-ASCII text (also as \u escapes, which jsonb accepts only in UTF8).
[[ "${dbinfo%% *}" == UTF8 ]] || bail "interop: test database encoding is UTF8 (is ${dbinfo%% *})"

# Install the pinned node packages unless node_modules already matches package.json.
stamp="$here/node_modules/.interop-package.json"
if ! cmp -s "$here/package.json" "$stamp"; then
	rm -f "$stamp"
	if ! npmout="$(cd "$here" && npm install --no-audit --no-fund --no-package-lock --silent 2>&1)"; then
		bail "interop: npm install of jose and jsonwebtoken" "$npmout"
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

# 3. Asymmetric keys (generated now, never stored beyond this run), and
#    library-made tokens verified by the extension.
keys="$tmp/keys.json"
cases="$here/asym_cases.json"
if node "$here/node_check.mjs" keys "$keys" 2>"$tmp/keys.err"; then
	if ! node "$here/node_check.mjs" sign-asym "$keys" >"$tmp/node_asym.json" 2>"$tmp/node_asym.err"; then
		{ echo "not ok - interop: node (jose, jsonwebtoken) signs RS/PS/ES/EdDSA test tokens"; sed 's/^/# /' "$tmp/node_asym.err"; } | tee -a "$out"
		echo '[]' >"$tmp/node_asym.json"
	fi
	if ! "$PYTHON" "$here/py_check.py" sign-asym "$keys" >"$tmp/py_asym.json" 2>"$tmp/py_asym.err"; then
		{ echo "not ok - interop: python (python-jwt, jwcrypto) signs RS/PS/ES/EdDSA test tokens"; sed 's/^/# /' "$tmp/py_asym.err"; } | tee -a "$out"
		echo '[]' >"$tmp/py_asym.json"
	fi
	step "jwt_verify of library RS/PS/ES/EdDSA tokens" psql_file "$here/asym_verify_tokens.sql" \
		"keys_file=$keys" "cases_file=$cases" "node_file=$tmp/node_asym.json" "py_file=$tmp/py_asym.json"

	# 4. jwt_sign RS/PS/ES/EdDSA tokens, verified by the libraries.
	if psql_file "$here/asym_sign_tokens.sql" "claims=$claims" "keys_file=$keys" "cases_file=$cases" \
		>"$tmp/sql_asym.json" 2>"$tmp/sql_asym.err" && [[ -s "$tmp/sql_asym.json" ]]; then
		: >"$tmp/lib_verify.out"
		step "node verification of jwt_sign RS/PS/ES/EdDSA tokens" \
			node "$here/node_check.mjs" verify-asym "$keys" "$tmp/sql_asym.json"
		cat "$tmp/step.out" >>"$tmp/lib_verify.out"
		step "python verification of jwt_sign RS/PS/ES/EdDSA tokens" \
			"$PYTHON" "$here/py_check.py" verify-asym "$keys" "$tmp/sql_asym.json"
		cat "$tmp/step.out" >>"$tmp/lib_verify.out"
		# Every algorithm is verified by at least one library.
		while IFS= read -r id; do
			libs="$(awk -v p="ok - $id: " 'index($0, p) == 1 && index($0, " verifies jwt_sign token")' \
				"$tmp/lib_verify.out" | sed -E 's/^ok - [^ ]+ ([A-Za-z-]+) .*/\1/' | sort -u | paste -sd, - |
				sed 's/,/, /g')"
			if [[ -n "$libs" ]]; then
				echo "ok - $id: at least one library verifies jwt_sign tokens ($libs)"
			else
				echo "not ok - $id: at least one library verifies jwt_sign tokens (none did)"
			fi
		done < <(node -e 'for (const c of JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).cases) console.log(c.id)' "$cases") |
			tee -a "$out"
	else
		{ echo "not ok - interop: jwt_sign makes the RS/PS/ES/EdDSA test tokens"; sed 's/^/# /' "$tmp/sql_asym.err"; } | tee -a "$out"
	fi
else
	{ echo "not ok - interop: node generates the RSA/EC/OKP test keys"; sed 's/^/# /' "$tmp/keys.err"; } | tee -a "$out"
fi

passed="$(grep -c '^ok' "$out" || true)"
failed="$(grep -c '^not ok' "$out" || true)"
echo "# interop: $passed passed, $failed failed"
if ((failed > 0 || passed == 0)); then
	exit 1
fi
