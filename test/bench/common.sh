# shellcheck shell=bash disable=SC2119,SC2120
# (SC2119/SC2120: helpers that take optional arguments)
# test/bench/common.sh: shared by run.sh and profile.sh (source it).
#
# bench_connect        use PGHOST/PGPORT from the environment when set, else
#                      build, install and start a throwaway server through
#                      scripts/lib.sh (stopped when the calling script exits)
# bench_sql_base       extension, schema jwt_bench (dropped and recreated) and
#                      the timing functions jwt_bench.best_ms(query, runs,
#                      expected count) and jwt_bench.once_ms(query, expected)
# bench_sql_setup      bench_sql_base + HS256: N pre-signed distinct tokens
#                      (toks) and their claims as jsonb (claims)
# bench_check_buffers  notes a table too big to stay in shared_buffers
#                      while scanned
# bench_queries        prints "op<TAB>label<TAB>query" for every measured
#                      HS256 query
# Asymmetric part (RS256, PS256, ES256 and EdDSA, each sign and verify):
# bench_asym_prepare   keys (openssl genpkey, in a fresh temp dir
#                      BENCH_ASYM_DIR, which the caller removes), their JWKs
#                      (node), floor/asym_floor built, distinct pre-signed
#                      tokens DIR/ALG.tok made by it
# bench_asym_ops [d]   prints ALG:op:N (N/d) for every asymmetric measurement
# bench_asym_sql_setup tables jwt_bench.toks_<alg> (the tokens of DIR/ALG.tok)
#                      and jwt_bench.claims_<alg> (claims to sign)
# bench_asym_queries   prints "op<TAB>label<TAB>N<TAB>query<TAB>probe" for
#                      every asymmetric query (op is e.g. "RS256 verify";
#                      probe: the same call on one row)
#
# Environment: JWT_BENCH_N (default 200000), JWT_BENCH_RUNS (default 3),
# JWT_BENCH_SECRET (text secret, >= 32 bytes); asymmetric counts, sized for
# ~1 s per timing: JWT_BENCH_N_RSA_SIGN (2000, RS256 and PS256),
# JWT_BENCH_N_RSA_VERIFY (20000, RS256 and PS256), JWT_BENCH_N_EC (20000,
# ES256 sign and verify), JWT_BENCH_N_ED (10000, EdDSA sign and verify).

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BENCH_ROOT="$(cd "$BENCH_DIR/../.." && pwd)"
BENCH_N="${JWT_BENCH_N:-200000}"
BENCH_RUNS="${JWT_BENCH_RUNS:-3}"
BENCH_SECRET="${JWT_BENCH_SECRET:-jwt-bench-hs256-secret-0123456789abcdef-0123456789abcdef-0123}"
export JWT_BENCH_N="$BENCH_N" JWT_BENCH_RUNS="$BENCH_RUNS" JWT_BENCH_SECRET="$BENCH_SECRET"
BENCH_N_RSA_SIGN="${JWT_BENCH_N_RSA_SIGN:-2000}"
BENCH_N_RSA_VERIFY="${JWT_BENCH_N_RSA_VERIFY:-20000}"
BENCH_N_EC="${JWT_BENCH_N_EC:-20000}"
BENCH_N_ED="${JWT_BENCH_N_ED:-10000}"
# One "now" for the whole run: iat/exp of every token and claims set.
BENCH_NOW="${BENCH_NOW:-$(date +%s)}"
export BENCH_NOW

bench_log() { printf '%s\n' "$*" >&2; }
bench_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# psql for scripts: no psqlrc, stop on error, unaligned tuples only.
bench_psql() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }

bench_connect() {
	if [ -n "${PGHOST:-}" ] || [ -n "${PGPORT:-}" ]; then
		bench_log "using the server at PGHOST=${PGHOST:-<default>} PGPORT=${PGPORT:-<default>}"
		return 0
	fi
	[ -f "$BENCH_ROOT/scripts/lib.sh" ] ||
		bench_die "set PGHOST/PGPORT to a server with the jwt extension installed (scripts/lib.sh is missing)"
	# shellcheck source-path=SCRIPTDIR source=../../scripts/lib.sh
	source "$BENCH_ROOT/scripts/lib.sh"
	jwt_ensure_deps
	bench_log "building and installing the extension (make, make install)"
	jwt_build_install || bench_die "build failed"
	# Room for the token table in shared_buffers; one backend, no parallel
	# workers, no JIT (set again per session below).  A sequential scan of
	# a table bigger than a quarter of shared_buffers goes through a ring of
	# 256 kB and reads every page again from the kernel at each pass: the
	# 200,000 tokens take 65 MB, over a quarter of 256 MB
	# (bench_check_buffers).  JWT_BENCH_SHARED_BUFFERS sets another size.
	JWT_CLUSTER_CONF="${JWT_CLUSTER_CONF:-}
shared_buffers = ${JWT_BENCH_SHARED_BUFFERS:-512MB}
max_parallel_workers_per_gather = 0
jit = off"
	jwt_cluster_start || bench_die "could not start a throwaway server"
	bench_log "throwaway server at $PGHOST port $PGPORT"
}

# SQL literal of a string.
bench_quote() { printf "'%s'" "${1//\'/\'\'}"; }

# Claims of row i, the same shape as node_bench.mjs and floor/hs256_floor.c.
bench_claims_sql() {
	local now="$1"
	printf '%s' "jsonb_build_object('sub', 'user-' || i, 'jti', lpad(to_hex(i), 32, '0'), 'iat', $now, 'exp', $now + 86400, 'iss', 'jwt-bench-issuer', 'aud', 'jwt-bench-api', 'role', 'authenticated')"
}

bench_sql_base() {
	bench_psql <<-SQL
		SET client_min_messages = warning;
		DO \$\$
		BEGIN
			IF to_regproc('jwt_verify') IS NULL
			   AND NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'jwt') THEN
				CREATE EXTENSION jwt;
			END IF;
		END
		\$\$;
		DROP SCHEMA IF EXISTS jwt_bench CASCADE;
		CREATE SCHEMA jwt_bench;

		-- Best wall time in ms of q over runs executions, after one warm-up
		-- execution; q must return one bigint, which must equal expect.
		CREATE FUNCTION jwt_bench.best_ms(q text, runs int, expect bigint)
		RETURNS float8 LANGUAGE plpgsql AS \$f\$
		DECLARE
			t0 timestamptz;
			best float8 := 'Infinity';
			got bigint;
		BEGIN
			EXECUTE q INTO got;
			IF got IS DISTINCT FROM expect THEN
				RAISE EXCEPTION 'benchmark query returned %, expected %: %', got, expect, q;
			END IF;
			FOR r IN 1..runs LOOP
				t0 := clock_timestamp();
				EXECUTE q INTO got;
				best := least(best, extract(epoch FROM clock_timestamp() - t0)::float8 * 1000);
			END LOOP;
			RETURN best;
		END
		\$f\$;

		-- Wall time in ms of one execution of q (no warm-up); q must return
		-- one bigint, which must equal expect.
		CREATE FUNCTION jwt_bench.once_ms(q text, expect bigint)
		RETURNS float8 LANGUAGE plpgsql AS \$f\$
		DECLARE
			t0 timestamptz := clock_timestamp();
			got bigint;
		BEGIN
			EXECUTE q INTO got;
			IF got IS DISTINCT FROM expect THEN
				RAISE EXCEPTION 'benchmark query returned %, expected %: %', got, expect, q;
			END IF;
			RETURN extract(epoch FROM clock_timestamp() - t0)::float8 * 1000;
		END
		\$f\$;
	SQL
}

bench_sql_setup() {
	local now="$BENCH_NOW" key
	key="$(bench_quote "$BENCH_SECRET")"
	bench_sql_base
	bench_psql <<-SQL
		SET client_min_messages = warning;
		SET max_parallel_workers_per_gather = 0;
		SET jit = off;
		CREATE UNLOGGED TABLE jwt_bench.toks AS
			SELECT i, jwt_sign($(bench_claims_sql "$now"), $key) AS tok
			FROM generate_series(1, $BENCH_N) i;
		-- The same claims, pre-built, to time jwt_sign without jsonb_build_object.
		CREATE UNLOGGED TABLE jwt_bench.claims AS
			SELECT i, $(bench_claims_sql "$now") AS claims
			FROM generate_series(1, $BENCH_N) i;
		VACUUM ANALYZE jwt_bench.toks, jwt_bench.claims;
	SQL
	bench_check_buffers jwt_bench.toks jwt_bench.claims
}

# Say so when a table is too big to stay in shared_buffers while scanned
# (over a quarter of it: the scan then reads through a small ring, and
# every pass costs reads from the kernel that the C floor does not pay).
bench_check_buffers() {
	local t big
	for t in "$@"; do
		big="$(bench_psql -c "SELECT pg_table_size('$t') * 4 > pg_size_bytes(current_setting('shared_buffers'))")"
		[ "$big" = t ] &&
			bench_log "note: $t is over a quarter of shared_buffers; its scans read from the kernel at each pass (raise shared_buffers)"
	done
	return 0
}

# op<TAB>label<TAB>query; every query returns one bigint equal to BENCH_N.
bench_queries() {
	local now="$1" key claims n="$BENCH_N" aud="'jwt-bench-api'"
	key="$(bench_quote "$BENCH_SECRET")"
	claims="$(bench_claims_sql "$now")"
	printf 'sign\tjwt_sign(jsonb_build_object(...), key)\tSELECT count(jwt_sign(%s, %s)) FROM generate_series(1, %s) i\n' "$claims" "$key" "$n"
	printf 'sign\tbaseline: jsonb_build_object(...) only\tSELECT count(%s) FROM generate_series(1, %s) i\n' "$claims" "$n"
	printf 'sign\tjwt_sign(claims, key), claims from a table\tSELECT count(jwt_sign(claims, %s)) FROM jwt_bench.claims\n' "$key"
	printf 'sign\tbaseline: count(claims) from that table\tSELECT count(claims) FROM jwt_bench.claims\n'
	printf 'sign\tjwt_sign(..., expires_in => 1 day)\tSELECT count(jwt_sign(%s - '"'exp'"', %s, expires_in => interval '"'1 day'"')) FROM generate_series(1, %s) i\n' "$claims" "$key" "$n"
	# The tokens carry "aud", which jwt_verify rejects unless an audience is
	# given, so the audience is checked here and in node_bench.mjs alike.
	printf 'verify\tjwt_verify(tok, key, audience => ...)\tSELECT count(jwt_verify(tok, %s, audience => %s)) FROM jwt_bench.toks\n' "$key" "$aud"
	printf 'verify\tbaseline: count(tok)\tSELECT count(tok) FROM jwt_bench.toks\n'
	printf 'verify\tjwt_verify + issuer and algorithms checks\tSELECT count(jwt_verify(tok, %s, algorithms => %s, audience => %s, issuer => %s)) FROM jwt_bench.toks\n' "$key" "'{HS256}'" "$aud" "'jwt-bench-issuer'"
	printf 'verify\tjwt_validate(tok, key, audience => ...)\tSELECT count(*) FILTER (WHERE (jwt_validate(tok, %s, audience => %s)).valid) FROM jwt_bench.toks\n' "$key" "$aud"
	printf 'verify\tjwt_decode(tok), no HMAC\tSELECT count((jwt_decode(tok)).claims) FROM jwt_bench.toks\n'
}

# ------------------------------------------------------------ asymmetric part

# ALG:op:N for every asymmetric measurement, in report order; with an
# argument d, N/d (the C floor times its variants over half the tokens).
bench_asym_ops() {
	printf '%s\n' "RS256:sign:$BENCH_N_RSA_SIGN" "RS256:verify:$BENCH_N_RSA_VERIFY" \
		"PS256:sign:$BENCH_N_RSA_SIGN" "PS256:verify:$BENCH_N_RSA_VERIFY" \
		"ES256:sign:$BENCH_N_EC" "ES256:verify:$BENCH_N_EC" \
		"EdDSA:sign:$BENCH_N_ED" "EdDSA:verify:$BENCH_N_ED" |
		awk -F: -v d="${1:-1}" '{ n = int($3 / d); print $1 ":" $2 ":" (n > 0 ? n : 1) }'
}

# Key file stem of an algorithm: rsa, ec, ed.
bench_asym_kind() {
	case "$1" in
		RS* | PS*) echo rsa ;;
		ES*) echo ec ;;
		EdDSA) echo ed ;;
		*) bench_die "unknown algorithm $1" ;;
	esac
}

# Tokens to verify needed for ALG (0: none).
bench_asym_ntok() {
	bench_asym_ops | awk -F: -v alg="$1" '$1 == alg && $2 == "verify" && $3 > n { n = $3 } END { print n + 0 }'
}

bench_asym_prepare() {
	local d bin="$BENCH_DIR/floor/asym_floor" src="$BENCH_DIR/floor/asym_floor.c"
	local k alg n jobs per i first last t0=$SECONDS
	local -a pids
	command -v openssl >/dev/null 2>&1 || bench_die "the openssl command is needed to make the keys"
	if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
		bench_log "== floor: cc -O2 ... asym_floor.c -lcrypto"
		cc -O2 -Wall -Wextra -o "$bin" "$src" -lcrypto ||
			bench_die "could not build floor/asym_floor"
	fi
	d="$(mktemp -d)"
	chmod 755 "$d"
	BENCH_ASYM_DIR="$d"
	export BENCH_ASYM_DIR
	bench_log "== asymmetric keys (RSA 2048, P-256, Ed25519) in $d"
	if ! { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$d/rsa.key" 2>/dev/null &&
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/ec.key" &&
		openssl genpkey -algorithm ED25519 -out "$d/ed.key"; }; then
		bench_die "openssl genpkey failed"
	fi
	for k in rsa ec ed; do
		openssl pkey -in "$d/$k.key" -pubout -out "$d/$k.pub" || bench_die "openssl pkey failed"
	done
	# The same keys as JWKs (node:crypto's KeyObject.export), for the jsonb rows.
	if command -v node >/dev/null 2>&1; then
		(cd "$BENCH_DIR" && node node_asym.mjs jwk "$d") ||
			bench_log "WARNING: could not export the keys as JWKs: no JWK rows"
	else
		bench_log "WARNING: node not found: no JWK rows"
	fi
	# Distinct pre-signed tokens, the same strings for SQL, node and C; the
	# RSA signatures (~0.35 ms each) on all cores.
	jobs="$(nproc 2>/dev/null || echo 1)"
	for alg in RS256 PS256 ES256 EdDSA; do
		n="$(bench_asym_ntok "$alg")"
		[ "$n" -gt 0 ] || continue
		per=$(((n + jobs - 1) / jobs))
		pids=()
		for ((i = 0; i < jobs; i++)); do
			first=$((i * per + 1))
			last=$(((i + 1) * per < n ? (i + 1) * per : n))
			[ "$first" -le "$last" ] || break
			"$bin" gen "$alg" "$d/$(bench_asym_kind "$alg").key" "$first" "$last" "$BENCH_NOW" >"$d/$alg.tok.$i" &
			pids+=($!)
		done
		for i in "${!pids[@]}"; do
			wait "${pids[$i]}" || bench_die "token generation failed ($alg)"
		done
		: >"$d/$alg.tok"
		for i in "${!pids[@]}"; do
			cat "$d/$alg.tok.$i" >>"$d/$alg.tok"
			rm -f "$d/$alg.tok.$i"
		done
	done
	bench_log "   keys and tokens ready in $((SECONDS - t0)) s"
}

# SQL E'' literal of a string that may span lines (PEM), on one line.
bench_quote_lines() {
	local s="${1//\\/\\\\}"
	s="${s//\'/\\\'}"
	printf "E'%s'" "${s//$'\n'/\\n}"
}

bench_asym_sql_setup() {
	local alg t n
	{
		printf 'SET client_min_messages = warning;\n'
		for alg in RS256 PS256 ES256 EdDSA; do
			n="$(bench_asym_ntok "$alg")"
			[ "$n" -gt 0 ] || continue
			t="jwt_bench.toks_${alg,,}"
			printf 'CREATE UNLOGGED TABLE %s (tok text);\n' "$t"
			printf "\\\\copy %s (tok) FROM '%s'\n" "$t" "$BENCH_ASYM_DIR/$alg.tok"
			printf 'VACUUM ANALYZE %s;\n' "$t"
		done
		bench_asym_ops | while IFS=: read -r alg op n; do
			[ "$op" = sign ] || continue
			t="jwt_bench.claims_${alg,,}"
			printf 'CREATE UNLOGGED TABLE %s AS SELECT i, %s AS claims FROM generate_series(1, %s) i;\n' \
				"$t" "$(bench_claims_sql "$BENCH_NOW")" "$n"
			printf 'VACUUM ANALYZE %s;\n' "$t"
		done
	} | bench_psql
}

# op<TAB>label<TAB>N<TAB>query<TAB>probe for every asymmetric query; the
# query returns one bigint equal to N, the probe runs the same call on one row.
bench_asym_queries() {
	local alg op n kind t form key which label expr base
	bench_asym_ops | while IFS=: read -r alg op n; do
		kind="$(bench_asym_kind "$alg")"
		if [ "$op" = sign ]; then
			t="jwt_bench.claims_${alg,,}" which=key
		else
			t="jwt_bench.toks_${alg,,}" which=pub
		fi
		for form in pem jwk; do
			if [ "$form" = pem ]; then
				key="$(bench_quote_lines "$(cat "$BENCH_ASYM_DIR/$kind.$which")")::text"
				label="PEM text"
			else
				[ -s "$BENCH_ASYM_DIR/$kind.$which.jwk" ] || continue
				key="$(bench_quote "$(cat "$BENCH_ASYM_DIR/$kind.$which.jwk")")::jsonb"
				label="JWK jsonb"
			fi
			if [ "$op" = sign ]; then
				expr="jwt_sign(claims, $key, '$alg')"
				label="jwt_sign(claims, $label, '$alg')"
			else
				expr="jwt_verify(tok, $key, audience => 'jwt-bench-api')"
				label="jwt_verify(tok, $label, audience => ...)"
			fi
			printf '%s %s\t%s\t%s\tSELECT count(%s) FROM %s\tSELECT count(%s) FROM (SELECT * FROM %s LIMIT 1) t\n' \
				"$alg" "$op" "$label" "$n" "$expr" "$t" "$expr" "$t"
		done
		if [ "$op" = sign ]; then
			base="count(claims)" label="baseline: count(claims) from that table"
		else
			base="count(tok)" label="baseline: count(tok)"
		fi
		printf '%s %s\t%s\t%s\tSELECT %s FROM %s\tSELECT 1\n' "$alg" "$op" "$label" "$n" "$base" "$t"
	done
}
