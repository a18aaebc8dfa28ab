#!/usr/bin/env bash
# test/security/run.sh: the extension's own calls cannot be captured, and no
# error raised inside its functions logs the statement.
#
# Look-alikes.  A role that may CREATE in the extension's schema (anyone,
# where "public" is open; the database owner in PostgreSQL 15) plants there,
# for every function of the extension: overloads taking text for every
# arity a call may use (an untyped literal prefers them), the same
# signatures cut after each defaulted parameter, and each signature with an
# extra defaulted parameter (both of the latter make a call by name
# ambiguous, 42725, even with exactly typed arguments); look-alikes of the
# pg_catalog functions and operators a function body might use unqualified
# (now(), =, ->>, ||, ...).  Every look-alike counts its call in a sequence
# (which no rollback undoes) and raises.  A superuser, with the extension's
# schema first in search_path, then runs the registry (rotate, add, sign,
# verify, validate, JWKS, retire), sign/verify/validate/decode, revocation
# and purge, authenticate and consume (with a key and with the registry),
# and the refresh-token life cycle (issue, rotate, retry, reuse, logout,
# logout everywhere, purge, sessions).  Each call must give its normal
# result and no look-alike may have run.  The superuser's own calls go
# through functions created before the look-alikes, whose SQL-standard
# bodies (BEGIN ATOMIC) were bound to the extension's functions then: what
# is left to resolve by name is the extension's business.  Run with the
# extension in "public" and in a schema of its own.
#
# The server log.  With log_min_error_statement at its default (error),
# errors that PostgreSQL itself raises inside the extension's functions (a
# timestamp out of range, SET ROLE refused inside a SECURITY DEFINER
# function, a unique violation) must not log the statement, which holds
# secrets and tokens: the log is searched for marker values.
#
# Starts its own server (test/lib.sh).  Prints "ok - ..." / "not ok - ...";
# exits 1 when a check failed.
set -euo pipefail
cd "$(dirname "$0")"
# shellcheck source=test/lib.sh
source ../lib.sh

WORK="$(mktemp -d)"
trap 'jwt_test_server_stop; rm -rf "$WORK"' EXIT
chmod 755 "$WORK"
if ! jwt_test_server_start "$WORK/server" "log_min_error_statement = error" \
	"log_min_messages = warning"; then
	not_ok "security: a server of its own started"
	exit 1
fi
PSQL=("$JWT_TEST_BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1)

# q DB SQL: one statement, its output
q() { "${PSQL[@]}" -d "$1" -c "$2"; }


q postgres "CREATE ROLE regress_hostile LOGIN; CREATE ROLE regress_app LOGIN" >/dev/null

# --- the superuser's entry points, bound before anything is planted ----------
# wrappers EXT: SQL creating schema adm with one function per call.
wrappers() {
	local x="$1"
	cat <<SQL
CREATE SCHEMA adm;
CREATE FUNCTION adm.rotate(a text) RETURNS text BEGIN ATOMIC SELECT $x.jwt_registry_rotate(a); END;
CREATE FUNCTION adm.add(k text, a text, kid text) RETURNS text BEGIN ATOMIC SELECT $x.jwt_registry_add(k, a, kid, 'verify_only'); END;
CREATE FUNCTION adm.rsign(c jsonb, a text) RETURNS text BEGIN ATOMIC SELECT $x.jwt_registry_sign(c, a); END;
CREATE FUNCTION adm.rverify(t text) RETURNS text BEGIN ATOMIC SELECT $x.jwt_registry_verify(t) ->> 'sub'; END;
CREATE FUNCTION adm.rvalidate(t text) RETURNS boolean BEGIN ATOMIC SELECT ($x.jwt_registry_validate(t)).valid; END;
CREATE FUNCTION adm.import(k text, kid text, iss text) RETURNS integer BEGIN ATOMIC
	SELECT $x.jwt_registry_import_jwks(pg_catalog.jsonb_build_object('keys', pg_catalog.jsonb_build_array(
		k::jsonb OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('kid', kid))), iss); END;
CREATE FUNCTION adm.rverify_aud(t text, aud text[]) RETURNS text BEGIN ATOMIC SELECT $x.jwt_registry_verify(t, audiences => aud) ->> 'sub'; END;
CREATE FUNCTION adm.jwks() RETURNS integer BEGIN ATOMIC SELECT jsonb_array_length($x.jwt_jwks() -> 'keys'); END;
CREATE FUNCTION adm.retire(kid text) RETURNS boolean BEGIN ATOMIC SELECT $x.jwt_registry_retire(kid); END;
CREATE FUNCTION adm.retire_due() RETURNS integer BEGIN ATOMIC SELECT $x.jwt_registry_retire_due(); END;
CREATE FUNCTION adm.sign(c jsonb, k text) RETURNS text BEGIN ATOMIC SELECT $x.jwt_sign(c, k); END;
CREATE FUNCTION adm.verify(t text, k text) RETURNS text BEGIN ATOMIC SELECT $x.jwt_verify(t, k) ->> 'sub'; END;
CREATE FUNCTION adm.validate(t text, k text) RETURNS boolean BEGIN ATOMIC SELECT ($x.jwt_validate(t, k)).valid; END;
CREATE FUNCTION adm.decode(t text) RETURNS text BEGIN ATOMIC SELECT ($x.jwt_decode(t)).claims ->> 'sub'; END;
CREATE FUNCTION adm.public_kty(k text) RETURNS text BEGIN ATOMIC SELECT $x.jwt_public_jwk(k) ->> 'kty'; END;
CREATE FUNCTION adm.genkey(a text) RETURNS text BEGIN ATOMIC SELECT $x.jwt_generate_key(a)::text; END;
CREATE FUNCTION adm.public_of(a text) RETURNS text BEGIN ATOMIC SELECT $x.jwt_public_jwk($x.jwt_generate_key(a))::text; END;
CREATE FUNCTION adm.revoke(j text) RETURNS boolean BEGIN ATOMIC SELECT $x.jwt_revoke(j, now() + interval '1 hour'); END;
CREATE FUNCTION adm.revoke_subject(s text) RETURNS boolean BEGIN ATOMIC SELECT $x.jwt_revoke_subject(s); END;
CREATE FUNCTION adm.is_revoked(c jsonb) RETURNS boolean BEGIN ATOMIC SELECT $x.jwt_is_revoked(c); END;
CREATE FUNCTION adm.purge() RETURNS bigint BEGIN ATOMIC SELECT $x.jwt_purge_expired(); END;
CREATE FUNCTION adm.authenticate(t text, k text) RETURNS text BEGIN ATOMIC SELECT $x.jwt_authenticate(t, k) ->> 'sub'; END;
CREATE FUNCTION adm.rauthenticate(t text) RETURNS text BEGIN ATOMIC SELECT $x.jwt_registry_authenticate(t) ->> 'sub'; END;
CREATE FUNCTION adm.claim(n text) RETURNS text BEGIN ATOMIC SELECT $x.jwt_claim(n); END;
CREATE FUNCTION adm.consume(t text, k text) RETURNS text BEGIN ATOMIC SELECT $x.jwt_consume(t, k) ->> 'jti'; END;
CREATE FUNCTION adm.rconsume(t text) RETURNS text BEGIN ATOMIC SELECT $x.jwt_registry_consume(t) ->> 'jti'; END;
CREATE FUNCTION adm.issue(s text) RETURNS text BEGIN ATOMIC SELECT ($x.jwt_refresh_issue(s)).refresh_token; END;
CREATE FUNCTION adm.family(t text) RETURNS uuid BEGIN ATOMIC SELECT r.family_id FROM $x.refresh_tokens r WHERE r.token_hash = $x.jwt_refresh_token_hash(t); END;
CREATE FUNCTION adm.rt_rotate(t text, k text, g interval) RETURNS text BEGIN ATOMIC
	SELECT r.status || ' ' || coalesce(r.refresh_token, '-') || ' ' || coalesce($x.jwt_verify(r.access_token, k) ->> 'sub', '-')
	  FROM $x.jwt_refresh_rotate(t, k, grace => g) r; END;
CREATE FUNCTION adm.rt_rotate_registry(t text) RETURNS text BEGIN ATOMIC
	SELECT r.status || ' ' || coalesce(r.refresh_token, '-') || ' ' || coalesce($x.jwt_registry_verify(r.access_token) ->> 'sub', '-')
	  FROM $x.jwt_refresh_rotate(t, NULL::text, 'ES256') r; END;
CREATE FUNCTION adm.login(u text, k text) RETURNS text BEGIN ATOMIC
	SELECT l.refresh_token || ' ' || ($x.jwt_verify(l.access_token, k) ->> 'sub') || ' ' || ($x.jwt_verify(l.access_token, k) ->> 'role')
	       || ' ' || l.new_device
	  FROM $x.jwt_refresh_login(u, k, claims => '{"role": "r"}', session_lifetime => '1 day',
	                            idle_timeout => '1 hour', max_sessions => 1, user_agent => 'ua') l; END;
CREATE FUNCTION adm.rlogin(u text) RETURNS text BEGIN ATOMIC
	SELECT l.access_token FROM $x.jwt_refresh_login(u, NULL::text, 'ES256') l; END;
CREATE FUNCTION adm.sauthenticate(t text, k text) RETURNS text BEGIN ATOMIC
	SELECT $x.jwt_authenticate(t, k) ->> 'sub' FROM (SELECT set_config('jwt.require_session', 'on', true) AS s) s; END;
CREATE FUNCTION adm.srauthenticate(t text) RETURNS text BEGIN ATOMIC
	SELECT $x.jwt_registry_authenticate(t) ->> 'sub' FROM (SELECT set_config('jwt.require_session', 'on', true) AS s) s; END;
CREATE FUNCTION adm.rt_revoke(t text, everywhere boolean) RETURNS integer BEGIN ATOMIC SELECT $x.jwt_refresh_revoke(t, NULL, everywhere); END;
CREATE FUNCTION adm.rt_revoke_family(f uuid) RETURNS boolean BEGIN ATOMIC SELECT $x.jwt_refresh_revoke_family(f); END;
CREATE FUNCTION adm.rt_revoke_subject(s text) RETURNS integer BEGIN ATOMIC SELECT $x.jwt_refresh_revoke_subject(s); END;
CREATE FUNCTION adm.rt_purge() RETURNS bigint BEGIN ATOMIC SELECT $x.jwt_refresh_purge(); END;
CREATE FUNCTION adm.rt_sessions(s text) RETURNS bigint BEGIN ATOMIC SELECT count(*) FROM $x.jwt_refresh_sessions(s); END;
CREATE FUNCTION adm.rt_active(f uuid) RETURNS boolean BEGIN ATOMIC SELECT $x.jwt_refresh_session_active(f); END;
CREATE FUNCTION adm.key_health() RETURNS bigint BEGIN ATOMIC SELECT count(*) FROM $x.jwt_key_health; END;
CREATE FUNCTION adm.hits() RETURNS bigint BEGIN ATOMIC SELECT CASE WHEN s.is_called THEN s.last_value ELSE 0 END FROM hostile.hits s; END;
SQL
}

# --- what the hostile role plants ---------------------------------------------
plants() {
	local x="$1"
	cat <<SQL
DO \$plant\$
DECLARE
	f record;
	types text[];
	k integer;
	sig text;
	ret text;
	made integer := 0;
BEGIN
	FOR f IN
		SELECT p.oid, p.proname, p.pronargs, p.pronargdefaults,
			   pg_get_function_result(p.oid) AS result,
			   ARRAY(SELECT format_type(t, NULL) FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY a(t, i) ORDER BY i) AS args
		  FROM pg_proc p
		  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
		  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'jwt'
		 WHERE p.prorettype NOT IN ('trigger'::regtype, 'internal'::regtype)
		 -- (internal: the planner support function, which SQL cannot call)
	LOOP
		ret := f.result;
		FOR k IN (f.pronargs - f.pronargdefaults) .. f.pronargs + 1 LOOP
			FOREACH sig IN ARRAY ARRAY[
				-- every argument text, at each arity a call may use
				CASE WHEN k <= f.pronargs THEN array_to_string(array_fill('text'::text, ARRAY[k]), ', ') END,
				-- the real types cut after a defaulted parameter
				CASE WHEN k < f.pronargs THEN array_to_string(f.args[1:k], ', ') END,
				-- the real types and one more, defaulted
				CASE WHEN k = f.pronargs + 1 THEN array_to_string(f.args || ARRAY['integer DEFAULT 0'], ', ') END,
				-- text first, the rest as they are (jsonb claims as an untyped literal)
				CASE WHEN k = f.pronargs AND k > 0 THEN array_to_string(ARRAY['text'] || f.args[2:k], ', ') END]
			LOOP
				CONTINUE WHEN sig IS NULL;
				BEGIN
					EXECUTE format(\$f\$CREATE FUNCTION $x.%I(%s) RETURNS %s LANGUAGE plpgsql AS \$b\$
						BEGIN PERFORM nextval('hostile.hits'); RAISE EXCEPTION 'look-alike %s(%s) ran'; END \$b\$\$f\$,
						f.proname, sig, ret, f.proname, sig);
					made := made + 1;
				EXCEPTION WHEN duplicate_function OR invalid_function_definition OR ambiguous_function THEN
					NULL;
				END;
			END LOOP;
		END LOOP;
	END LOOP;
	RAISE NOTICE 'planted %', made;
END
\$plant\$;
SQL
}

# generic_plants EXT: look-alikes of pg_catalog functions and operators
generic_plants() {
	local x="$1"
	cat <<SQL
DO \$plant\$
DECLARE
	sig text;
	made integer := 0;
BEGIN
	-- pg_catalog functions a body might call unqualified
	FOREACH sig IN ARRAY ARRAY['now()|timestamptz', 'clock_timestamp()|timestamptz', 'gen_random_uuid()|uuid',
		'pg_is_in_recovery()|boolean', 'jsonb_build_object(text, text)|jsonb',
		'jsonb_build_object(text, text, text, text)|jsonb', 'encode(bytea, text)|text', 'sha256(bytea)|bytea',
		'convert_to(text, text)|bytea', 'translate(text, text, text)|text', 'rtrim(text, text)|text',
		'ltrim(text)|text', 'format(text, text)|text', 'cardinality(uuid[])|integer',
		'jsonb_typeof(jsonb)|text', 'nullif(text, text)|text', 'current_setting(text)|text',
		'set_config(text, text, boolean)|text', 'to_jsonb(text)|jsonb', 'jsonb_array_length(jsonb)|integer']
	LOOP
		EXECUTE format(\$f\$CREATE FUNCTION $x.%s RETURNS %s LANGUAGE plpgsql AS \$b\$
			BEGIN PERFORM nextval('hostile.hits'); RAISE EXCEPTION 'look-alike %s ran'; END \$b\$\$f\$,
			split_part(sig, '|', 1), split_part(sig, '|', 2), split_part(sig, '|', 1));
		made := made + 1;
	END LOOP;
	RAISE NOTICE 'planted %', made;
END
\$plant\$;
CREATE FUNCTION hostile.op_hit(a text, b text) RETURNS boolean LANGUAGE plpgsql AS
	\$\$ BEGIN PERFORM nextval('hostile.hits'); RAISE EXCEPTION 'look-alike operator ran'; END \$\$;
CREATE FUNCTION hostile.op_hit(a bytea, b bytea) RETURNS boolean LANGUAGE plpgsql AS
	\$\$ BEGIN PERFORM nextval('hostile.hits'); RAISE EXCEPTION 'look-alike operator ran'; END \$\$;
CREATE FUNCTION hostile.op_hit(a uuid, b uuid) RETURNS boolean LANGUAGE plpgsql AS
	\$\$ BEGIN PERFORM nextval('hostile.hits'); RAISE EXCEPTION 'look-alike operator ran'; END \$\$;
CREATE FUNCTION hostile.op_hit(a timestamptz, b timestamptz) RETURNS boolean LANGUAGE plpgsql AS
	\$\$ BEGIN PERFORM nextval('hostile.hits'); RAISE EXCEPTION 'look-alike operator ran'; END \$\$;
CREATE FUNCTION hostile.op_hit_jt(a jsonb, b text) RETURNS text LANGUAGE plpgsql AS
	\$\$ BEGIN PERFORM nextval('hostile.hits'); RAISE EXCEPTION 'look-alike operator ran'; END \$\$;
CREATE FUNCTION hostile.op_hit_jj(a jsonb, b jsonb) RETURNS jsonb LANGUAGE plpgsql AS
	\$\$ BEGIN PERFORM nextval('hostile.hits'); RAISE EXCEPTION 'look-alike operator ran'; END \$\$;
CREATE FUNCTION hostile.op_hit_ti(a timestamptz, b interval) RETURNS timestamptz LANGUAGE plpgsql AS
	\$\$ BEGIN PERFORM nextval('hostile.hits'); RAISE EXCEPTION 'look-alike operator ran'; END \$\$;
CREATE OPERATOR $x.= (LEFTARG = text, RIGHTARG = text, FUNCTION = hostile.op_hit);
CREATE OPERATOR $x.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = hostile.op_hit);
CREATE OPERATOR $x.~~ (LEFTARG = text, RIGHTARG = text, FUNCTION = hostile.op_hit);
CREATE OPERATOR $x.= (LEFTARG = bytea, RIGHTARG = bytea, FUNCTION = hostile.op_hit);
CREATE OPERATOR $x.= (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = hostile.op_hit);
CREATE OPERATOR $x.< (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = hostile.op_hit);
CREATE OPERATOR $x.<= (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = hostile.op_hit);
CREATE OPERATOR $x.> (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = hostile.op_hit);
CREATE OPERATOR $x.>= (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = hostile.op_hit);
CREATE OPERATOR $x.->> (LEFTARG = jsonb, RIGHTARG = text, FUNCTION = hostile.op_hit_jt);
CREATE OPERATOR $x.|| (LEFTARG = jsonb, RIGHTARG = jsonb, FUNCTION = hostile.op_hit_jj);
CREATE OPERATOR $x.+ (LEFTARG = timestamptz, RIGHTARG = interval, FUNCTION = hostile.op_hit_ti);
CREATE OPERATOR $x.- (LEFTARG = timestamptz, RIGHTARG = interval, FUNCTION = hostile.op_hit_ti);
SQL
}

# operator_plants EXT: an operator in EXT for every binary operator name in
# the list and every pair of the types below that has none of its own there
# (the extension's scripts run with pg_catalog first in search_path: where
# pg_catalog has no operator of exactly the argument types, as for
# oid = regprocedure, one of exactly those types elsewhere wins over
# pg_catalog's that needs a cast).  Each one's function counts its call
# and raises.
operator_plants() {
	local x="$1"
	cat <<SQL
SET search_path = pg_catalog;	-- this block's own operators: after the first plant, oid = regtype is one
DO \$plant\$
DECLARE
	t1 text;
	t2 text;
	op text;
	fn text;
	n integer := 0;
	made integer := 0;
	types text[] := ARRAY['oid', 'regproc', 'regprocedure', 'regclass', 'regtype', 'regrole',
		'regnamespace', 'name', 'text', 'character varying', '"char"', 'smallint', 'integer',
		'bigint', 'numeric', 'boolean', 'jsonb', 'json', 'bytea', 'uuid', 'timestamp with time zone',
		'timestamp without time zone', 'date', 'interval', 'text[]', 'name[]', 'oid[]', 'uuid[]',
		'aclitem[]'];
	ops text[] := ARRAY['=', '<>', '<', '<=', '>', '>=', '||', '~~', '!~~', '->', '->>', '#>',
		'#>>', '@>', '<@', '?', '?|', '?&', '+', '-', '*', '/', '&&'];
BEGIN
	FOREACH t1 IN ARRAY types LOOP
		FOREACH t2 IN ARRAY types LOOP
			fn := NULL;
			FOREACH op IN ARRAY ops LOOP
				CONTINUE WHEN EXISTS (SELECT FROM pg_operator
					WHERE oprname = op AND oprleft = t1::regtype AND oprright = t2::regtype
					  AND oprnamespace IN ('pg_catalog'::regnamespace, '$x'::regnamespace));
				IF fn IS NULL THEN
					n := n + 1;
					fn := format('hostile.op_any_%s', n);
					EXECUTE format(\$f\$CREATE FUNCTION %s(%s, %s) RETURNS boolean LANGUAGE plpgsql AS \$b\$
						BEGIN PERFORM nextval('hostile.hits'); RAISE EXCEPTION 'look-alike operator ran'; END \$b\$\$f\$,
						fn, t1, t2);
				END IF;
				EXECUTE format('CREATE OPERATOR $x.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = %s)',
							   op, t1, t2, fn);
				made := made + 1;
			END LOOP;
		END LOOP;
	END LOOP;
	RAISE NOTICE 'planted % operators', made;
END
\$plant\$;
RESET search_path;
SQL
}

# foreign_deps DB: objects of the extension (its members, and the
# constraints, defaults, indexes, rules and triggers of its tables and
# views) that depend on a function or operator neither in pg_catalog nor of
# the extension: one planted look-alike bound into a CHECK, a DEFAULT or a
# view runs for every user of the table, forever
foreign_deps() {
	q "$1" "SET search_path = pg_catalog; WITH ext AS (
		SELECT d.classid, d.objid FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
		 WHERE d.refclassid = 'pg_extension'::regclass AND e.extname = 'jwt' AND d.deptype = 'e'),
	rels AS (SELECT objid FROM ext WHERE classid = 'pg_class'::regclass),
	owned AS (
		SELECT classid, objid FROM ext
		UNION ALL SELECT 'pg_constraint'::regclass, oid FROM pg_constraint WHERE conrelid IN (SELECT objid FROM rels)
		UNION ALL SELECT 'pg_attrdef'::regclass, oid FROM pg_attrdef WHERE adrelid IN (SELECT objid FROM rels)
		UNION ALL SELECT 'pg_class'::regclass, indexrelid FROM pg_index WHERE indrelid IN (SELECT objid FROM rels)
		UNION ALL SELECT 'pg_rewrite'::regclass, oid FROM pg_rewrite WHERE ev_class IN (SELECT objid FROM rels)
		UNION ALL SELECT 'pg_trigger'::regclass, oid FROM pg_trigger WHERE tgrelid IN (SELECT objid FROM rels))
	SELECT count(*) FROM pg_depend d JOIN owned o ON o.classid = d.classid AND o.objid = d.objid
	 WHERE (d.refclassid = 'pg_operator'::regclass
	        AND (SELECT oprnamespace FROM pg_operator WHERE oid = d.refobjid) <> 'pg_catalog'::regnamespace
	     OR d.refclassid = 'pg_proc'::regclass
	        AND (SELECT pronamespace FROM pg_proc WHERE oid = d.refobjid) <> 'pg_catalog'::regnamespace)
	   AND (d.refclassid, d.refobjid) NOT IN (SELECT classid, objid FROM ext)"
}

K="$(printf 'k%.0s' {1..40})"	# an HS256 secret of 40 bytes

# early_plants EXT: look-alikes planted before CREATE EXTENSION, of names
# the extension's bodies call (none the adm functions call: those would
# make their creation ambiguous, which is the administrator's own call)
early_plants() {
	local x="$1" sig
	for sig in 'jwt_sign(text, text, text)|text' 'jwt_sign(text, jsonb, text)|text' \
		'jwt_validate(text, jsonb, text[])|record' 'jwt_stats_bump(text)|boolean' \
		'jwt_registry_keyset(integer DEFAULT 0)|jsonb' 'jwt_refresh_new_token(integer DEFAULT 0)|text' \
		'jwt_raise(text, text, text, text, integer DEFAULT 0)|void' 'jwt_is_revoked(text)|boolean' \
		'jwt_consume_jti(text, text)|text' 'jwt_refresh_revoke_families(text[], text)|integer'; do
		echo "CREATE FUNCTION $x.${sig%|*} RETURNS ${sig#*|} LANGUAGE plpgsql AS
			\$\$ BEGIN PERFORM nextval('hostile.hits'); RAISE EXCEPTION 'look-alike ran'; END \$\$;"
	done
}

# hostile_role EXT: CREATE on EXT for the hostile role, its schema and the
# sequence that counts the look-alikes' calls; ends as that role
hostile_role() {
	cat <<SQL
GRANT CREATE ON SCHEMA $1 TO regress_hostile;
CREATE SCHEMA hostile AUTHORIZATION regress_hostile;
GRANT USAGE ON SCHEMA hostile TO PUBLIC;
SET ROLE regress_hostile;
CREATE SEQUENCE hostile.hits;
GRANT USAGE, SELECT, UPDATE ON SEQUENCE hostile.hits TO PUBLIC;
SQL
}

# layout NAME SCHEMA-CLAUSE EXT WHEN: one database, the extension in EXT; the
# hostile role plants after CREATE EXTENSION, or also before it (WHEN=before)
layout() {
	local name="$1" clause="$2" x="$3" when="$4" db="jwt_security_$1"
	local tok kid c1 rt rt2 fam out n planted

	q postgres "CREATE DATABASE $db" >/dev/null
	{
		[ "$x" = public ] || echo "CREATE SCHEMA $x;"
		hostile_role "$x"
		if [ "$when" = before ]; then
			generic_plants "$x"
			early_plants "$x"
			operator_plants "$x"
		fi
		echo "RESET ROLE;"
	} | "${PSQL[@]}" -d "$db" >/dev/null 2>&1
	if ! out="$(q "$db" "CREATE EXTENSION jwt $clause" 2>&1)"; then
		not_ok "security ($name): CREATE EXTENSION jwt $clause"
		printf '%s\n' "$out" | head -n 3 | sed 's/^/# /'
		return
	fi
	# (with pg_catalog alone in search_path: the plants made before this are
	# the superuser's own problem, not the extension's)
	{ echo "SET search_path = pg_catalog;"; wrappers "$x"; } | "${PSQL[@]}" -d "$db" >/dev/null
	if ! out="$( { echo "SET ROLE regress_hostile;"; echo "SET search_path = pg_catalog;"; plants "$x"; [ "$when" = before ] || generic_plants "$x"; } |
		"${PSQL[@]}" -d "$db" 2>&1)"; then
		not_ok "security ($name): the hostile role planted its look-alikes"
		printf "%s\n" "$out" | grep -E "ERROR|DETAIL|HINT" | head -n 5 | sed "s/^/# /"
		return
	fi
	planted="$(sed -nE 's/.*planted ([0-9]+).*/\1/p' <<<"$out" | head -n 1)"
	check_eq "security: ($name): an unprivileged role planted look-alikes of every function (more than 150)" \
		"$([ "${planted:-0}" -gt 150 ] && echo yes)" yes
	check_eq "security: ($name): no object of the extension depends on a function or operator outside pg_catalog" \
		"$(foreign_deps "$db")" 0

	# Every call: the extension's schema first in search_path, then pg_catalog.
	export PGOPTIONS="-c search_path=$x,pg_catalog"
	a() { # the result, or the error's first line
		local o
		o="$(q "$db" "SELECT $1" 2>&1)" || true
		if grep -q '^ERROR:' <<<"$o"; then grep -m 1 '^ERROR:' <<<"$o"; else tail -n 1 <<<"$o"; fi
	}

	# the registry
	kid="$(a "adm.rotate('ES256')")"
	check_eq "security: ($name): jwt_registry_rotate('ES256') gives a kid" "$(grep -oE '^[A-Za-z0-9_-]{43}$' <<<"$kid" | sed 's/.*/a thumbprint/')" "a thumbprint"
	check_eq "security: ($name): jwt_registry_rotate('HS256') gives a kid" "$(a "adm.rotate('HS256')" | grep -oE '^[A-Za-z0-9_-]{43}$' | sed 's/.*/a thumbprint/')" "a thumbprint"
	check_eq "security: ($name): jwt_registry_add of an HMAC secret" "$(a "adm.add('$K', 'HS256', 'hs-extra')")" hs-extra
	check_eq "security: ($name): jwt_registry_add of a public key" \
		"$(a "adm.add(adm.public_of('ES256'), 'ES256', 'es-public')")" es-public
	tok="$(a "adm.rsign('{\"sub\":\"u1\",\"jti\":\"r1\",\"exp\":4000000000}', 'ES256')")"
	check_eq "security: ($name): jwt_registry_sign signs" "$(tr -cd . <<<"$tok")" ..
	check_eq "security: ($name): jwt_registry_verify verifies" "$(a "adm.rverify('$tok')")" u1
	check_eq "security: ($name): jwt_registry_validate validates" "$(a "adm.rvalidate('$tok')")" t
	check_eq "security: ($name): jwt_jwks lists the two ES256 keys" "$(a "adm.jwks()")" 2
	check_eq "security: ($name): jwt_registry_authenticate" "$(a "adm.rauthenticate('$tok')")" u1
	check_eq "security: ($name): jwt_registry_consume" "$(a "adm.rconsume('$tok')")" r1
	check_eq "security: ($name): jwt_registry_retire" "$(a "adm.retire('es-public')")" t
	check_eq "security: ($name): jwt_registry_retire_due" "$(a "adm.retire_due()")" 0
	check_eq "security: ($name): jwt_key_health reads" "$(a "adm.key_health()")" 4
	check_eq "security: ($name): jwt_registry_import_jwks imports a provider's key" \
		"$(a "adm.import(adm.public_of('ES256'), 'idp-1', 'https://idp.example/')")" 1
	tok="$(a "adm.rsign('{\"sub\":\"u9\",\"aud\":\"api\"}', 'ES256')")"
	check_eq "security: ($name): jwt_registry_verify with an audience array" "$(a "adm.rverify_aud('$tok', ARRAY['web', 'api'])")" u9

	# sign, verify, decode
	tok="$(a "adm.sign('{\"sub\":\"u2\",\"jti\":\"j2\",\"exp\":4000000000}', '$K')")"
	check_eq "security: ($name): jwt_sign" "$(tr -cd . <<<"$tok")" ..
	check_eq "security: ($name): jwt_verify" "$(a "adm.verify('$tok', '$K')")" u2
	check_eq "security: ($name): jwt_validate" "$(a "adm.validate('$tok', '$K')")" t
	check_eq "security: ($name): jwt_decode" "$(a "adm.decode('$tok')")" u2
	check_eq "security: ($name): jwt_generate_key and jwt_public_jwk" "$(a "adm.public_kty(adm.genkey('EdDSA'))")" OKP

	# authenticate, revoke, consume
	check_eq "security: ($name): jwt_authenticate" "$(a "adm.authenticate('$tok', '$K')")" u2
	check_eq "security: ($name): jwt_revoke (new)" "$(a "adm.revoke('j2')")" t
	check_eq "security: ($name): jwt_revoke (again)" "$(a "adm.revoke('j2')")" f
	check_eq "security: ($name): jwt_is_revoked" "$(a "adm.is_revoked('{\"jti\":\"j2\"}')")" t
	check_eq "security: ($name): jwt_authenticate refuses the revoked token" \
		"$(a "adm.authenticate('$tok', '$K')" | grep -o 'has been revoked')" "has been revoked"
	check_eq "security: ($name): jwt_revoke_subject" "$(a "adm.revoke_subject('u3')")" t
	check_eq "security: ($name): jwt_purge_expired" "$(a "adm.purge()")" 0
	c1="$(a "adm.sign('{\"sub\":\"u4\",\"jti\":\"c1\",\"exp\":4000000000}', '$K')")"
	check_eq "security: ($name): jwt_consume" "$(a "adm.consume('$c1', '$K')")" c1
	check_eq "security: ($name): jwt_consume refuses a second use" \
		"$(a "adm.consume('$c1', '$K')" | grep -o 'already been used')" "already been used"

	# refresh tokens
	rt="$(a "adm.issue('u5')")"
	check_eq "security: ($name): jwt_refresh_issue" "${#rt}" 43
	fam="$(a "adm.family('$rt')")"
	out="$(a "adm.rt_rotate('$rt', '$K', '10 seconds')")"
	rt2="$(cut -d ' ' -f 2 <<<"$out")"
	check_eq "security: ($name): jwt_refresh_rotate rotates and signs" "$(cut -d ' ' -f 1,3 <<<"$out")" "rotated u5"
	check_eq "security: ($name): jwt_refresh_rotate retried within the grace window" \
		"$(a "adm.rt_rotate('$rt', '$K', '10 seconds')")" "$out"
	out="$(a "adm.rt_rotate_registry('$rt2')")"
	check_eq "security: ($name): jwt_refresh_rotate with the registry's key" "$(cut -d ' ' -f 1,3 <<<"$out")" "rotated u5"
	rt="$(cut -d ' ' -f 2 <<<"$out")"
	check_eq "security: ($name): jwt_refresh_rotate without a grace window" \
		"$(a "adm.rt_rotate('$rt', '$K', '0')" | cut -d ' ' -f 1,3)" "rotated u5"
	check_eq "security: ($name): a reuse is detected" "$(a "adm.rt_rotate('$rt', '$K', '0')" | cut -d ' ' -f 1)" reused
	check_eq "security: ($name): the reuse revoked the family" "$(a "adm.rt_active('$fam')")" f
	rt="$(a "adm.issue('u6')")"
	a "adm.issue('u6')" >/dev/null
	check_eq "security: ($name): jwt_refresh_sessions" "$(a "adm.rt_sessions('u6')")" 2
	check_eq "security: ($name): jwt_refresh_revoke" "$(a "adm.rt_revoke('$rt', false)")" 1
	rt="$(a "adm.issue('u6')")"
	check_eq "security: ($name): jwt_refresh_revoke everywhere" "$(a "adm.rt_revoke('$rt', true)")" 2
	rt="$(a "adm.issue('u7')")"
	check_eq "security: ($name): jwt_refresh_revoke_family" "$(a "adm.rt_revoke_family(adm.family('$rt'))")" t
	a "adm.issue('u8')" >/dev/null
	check_eq "security: ($name): jwt_refresh_revoke_subject" "$(a "adm.rt_revoke_subject('u8')")" 1
	check_eq "security: ($name): jwt_refresh_purge" "$(a "adm.rt_purge()")" 0

	# one-call login, session-bound access tokens
	out="$(a "adm.login('u9', '$K')")"
	check_eq "security: ($name): jwt_refresh_login" "$(cut -d ' ' -f 2- <<<"$out")" "u9 r true"
	out="$(a "adm.login('u9', '$K')")"
	check_eq "security: ($name): jwt_refresh_login: a known device, the cap" "$(cut -d ' ' -f 2- <<<"$out") $(a "adm.rt_sessions('u9')")" "u9 r false 1"
	out="$(a "adm.rt_rotate('$(cut -d ' ' -f 1 <<<"$out")', '$K', '0')")"
	check_eq "security: ($name): jwt_refresh_rotate re-mints the session's claims" "$(cut -d ' ' -f 1,3 <<<"$out")" "rotated u9"
	at="$(a "adm.rlogin('u10')")"
	check_eq "security: ($name): jwt_registry_authenticate with jwt.require_session" "$(a "adm.srauthenticate('$at')")" u10
	tok="$(a "adm.sign('{\"sub\":\"u11\",\"exp\":4000000000}', '$K')")"
	check_eq "security: ($name): jwt_authenticate with jwt.require_session refuses a token of no session" \
		"$(a "adm.sauthenticate('$tok', '$K')" | grep -o 'names no live session')" "names no live session"

	n="$(a "adm.hits()")"
	check_eq "security: ($name): no look-alike ran" "$n" 0
	unset PGOPTIONS
}

layout public "" public after
layout schema "SCHEMA auth" auth after
layout early "" public before

# --- look-alikes planted before ALTER EXTENSION UPDATE ---------------------------
# The update scripts run as the superuser who updates, with the extension's
# schema in search_path: a role that may CREATE there plants look-alikes of
# every function of the installed version and of pg_catalog's, and an
# operator for every pair of types, between CREATE EXTENSION of an old
# version and the update.  The update must succeed, run none of them, and
# bind none into the extension's objects.
update_layout() {
	local from="$1" clause="$2" x="$3" db="jwt_security_update_$4" out
	q postgres "CREATE DATABASE $db" >/dev/null
	{
		[ "$x" = public ] || echo "CREATE SCHEMA $x;"
		echo "CREATE EXTENSION jwt VERSION '$from' $clause;"
		hostile_role "$x"
		plants "$x"
		generic_plants "$x"
		operator_plants "$x"
		echo "RESET ROLE;"
	} | "${PSQL[@]}" -d "$db" >"$WORK/plants.out" 2>&1
	check_eq "security: (update from $from, $x): more than 10000 look-alike operators planted" \
		"$(sed -nE 's/.*planted ([0-9]+) operators.*/\1/p' "$WORK/plants.out" | awk '$1 > 10000 { print "yes" }')" yes
	if ! out="$(q "$db" "ALTER EXTENSION jwt UPDATE" 2>&1)"; then
		not_ok "security: (update from $from, $x): ALTER EXTENSION jwt UPDATE"
		printf '%s\n' "$out" | head -n 3 | sed 's/^/# /'
	else
		ok "security: (update from $from, $x): ALTER EXTENSION jwt UPDATE"
	fi
	check_eq "security: (update from $from, $x): the update is at the default version" \
		"$(q "$db" "SET search_path = pg_catalog; SELECT extversion = (SELECT default_version FROM pg_available_extensions WHERE name = 'jwt') FROM pg_extension WHERE extname = 'jwt'")" t
	check_eq "security: (update from $from, $x): no look-alike ran" \
		"$(q "$db" "SET search_path = pg_catalog; SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM hostile.hits")" 0
	check_eq "security: (update from $from, $x): no object of the extension depends on a function or operator outside pg_catalog" \
		"$(foreign_deps "$db")" 0
}
update_layout 0.1.1 "" public p11
update_layout 0.1.0 "" public p10
update_layout 0.1.1 "SCHEMA auth" auth s11

# --- an issuer's keys replaced while its tokens are verified ------------------
# jwt_registry_validate verifies with the registry's keys, then reads them
# again for the issuer of the key that verified.  An import replacing the
# issuer's keys may commit in between (the invalidation trigger disabled,
# the registry is read on every call, which widens that window): a token
# of issuer A's key that names issuer B must then be refused, never accepted
# because its key could no longer be found.  Two clients verify, one
# imports A's set with the token's key and without it, in turn.
db=jwt_security_race
q postgres "CREATE DATABASE $db" >/dev/null
q "$db" "CREATE EXTENSION jwt VERSION '0.1.1'; ALTER EXTENSION jwt UPDATE;
	ALTER TABLE jwt_keys DISABLE TRIGGER jwt_keys_invalidate;
	CREATE TABLE k AS SELECT jwt_generate_key('RS256') || '{\"kid\": \"a1\"}' AS a1,
	                         jwt_generate_key('RS256') || '{\"kid\": \"a2\"}' AS a2;
	CREATE TABLE t AS SELECT jwt_sign('{\"sub\": \"mallory\", \"iss\": \"https://b.example\"}', a1) AS tok FROM k;
	CREATE UNLOGGED TABLE outcome (reason text)" >/dev/null
cat >"$WORK/verify.sql" <<'SQL'
SET jwt.token_cache_size = 0;
INSERT INTO outcome SELECT coalesce(v.reason, 'accepted') FROM t, jwt_registry_validate(t.tok) v;
SQL
cat >"$WORK/import.sql" <<'SQL'
SELECT jwt_registry_import_jwks(jsonb_build_object('keys', jsonb_build_array(
	CASE WHEN random() < 0.5 THEN a1 ELSE a2 END - '{d,p,q,dp,dq,qi}'::text[])), 'https://a.example') FROM k;
SQL
"$JWT_TEST_BINDIR/pgbench" -n -d "$db" -T 8 -c 2 -f "$WORK/verify.sql@10" -f "$WORK/import.sql@1" >/dev/null 2>&1 || true
check_eq "security: race: a token of a key that left the registry during its check was not accepted" \
	"$(q "$db" "SELECT count(*) FROM outcome WHERE reason = 'accepted'")" 0
check_eq "security: race: the verifications saw both the key and its absence" \
	"$(q "$db" "SELECT count(DISTINCT reason) FILTER (WHERE reason IN ('issuer_mismatch', 'unknown_key')) FROM outcome")" 2
# The same for a token without a kid, which the only key of its algorithm
# verifies: a key of ours with that algorithm, added in between and first
# in kid order, must not stand in for the issuer's.
q "$db" "CREATE TABLE k2 AS SELECT jwt_generate_key('ES384') || '{\"kid\": \"a3\"}' AS a3,
	                          jwt_generate_key('ES384') - '{d,kid}'::text[] AS ours;
	SELECT jwt_registry_import_jwks(jsonb_build_object('keys', jsonb_build_array(a3 - 'd')), 'https://a.example') FROM k2;
	CREATE TABLE t2 AS SELECT jwt_sign('{\"sub\": \"mallory\", \"iss\": \"https://b.example\"}', a3 - 'kid') AS tok FROM k2;
	CREATE UNLOGGED TABLE outcome2 (reason text)" >/dev/null
cat >"$WORK/verify2.sql" <<'SQL'
SET jwt.token_cache_size = 0;
INSERT INTO outcome2 SELECT coalesce(v.reason, 'accepted') FROM t2, jwt_registry_validate(t2.tok) v;
SQL
cat >"$WORK/ours.sql" <<'SQL'
DELETE FROM jwt_keys WHERE kid = '0ours';
INSERT INTO jwt_keys (kid, algorithm, verification_key, status)
	SELECT '0ours', 'ES384', ours, 'verify_only' FROM k2 WHERE random() < 0.5;
SQL
"$JWT_TEST_BINDIR/pgbench" -n -d "$db" -T 8 -c 2 -f "$WORK/verify2.sql@10" -f "$WORK/ours.sql@1" >/dev/null 2>&1 || true
check_eq "security: race: a token without a kid was not accepted by a key of ours added during its check" \
	"$(q "$db" "SELECT count(*) FROM outcome2 WHERE reason = 'accepted'")" 0
check_eq "security: race: the verifications without a kid saw one key and two" \
	"$(q "$db" "SELECT count(DISTINCT reason) FILTER (WHERE reason IN ('issuer_mismatch', 'key_mismatch')) FROM outcome2")" 2

# --- the server log -------------------------------------------------------------
db=jwt_security_log
q postgres "CREATE DATABASE $db" >/dev/null
q "$db" "CREATE EXTENSION jwt; CREATE ROLE regress_api LOGIN; CREATE ROLE regress_reader;
	GRANT regress_reader TO regress_api;
	GRANT EXECUTE ON FUNCTION jwt_authenticate(text, text, text[], text, text, text, text, text[], interval, interval, text, boolean, text[]) TO regress_api" >/dev/null
M="marker7395046128"	# fixed: the lines it is looked for in are those after log_before
MK="$(printf '%s' "$M"; printf 'x%.0s' {1..40})"	# a secret holding the marker
log_before="$(wc -l <"$JWT_TEST_LOG")"
provoke() { # desc, sql: must fail, with a marker in the statement
	local out
	if out="$(q "$db" "$2" 2>&1)"; then
		not_ok "security: log: $1 fails"
	else
		ok "security: log: $1 fails ($(head -n 1 <<<"$out" | sed 's/^ERROR: *//' | cut -c 1-80))"
	fi
}
rt="$(q "$db" "SELECT refresh_token FROM jwt_refresh_issue('$M')")"
tok="$(q "$db" "SELECT jwt_sign(jsonb_build_object('sub', '$M', 'role', 'regress_reader'), '$MK')")"
provoke "jwt_refresh_rotate with access_expires_in of 100000000 years" \
	"SELECT * FROM jwt_refresh_rotate('$rt', '$MK', access_expires_in => '100000000 years')"
provoke "jwt_sign with expires_in of 100000000 years" \
	"SELECT jwt_sign('{\"sub\":\"$M\"}', '$MK', expires_in => '100000000 years')"
provoke "jwt_registry_add of a kid that exists (unique violation)" \
	"SELECT jwt_registry_add('$MK', 'HS256', 'dup'); SELECT jwt_registry_add('$MK', 'HS256', 'dup')"
q "$db" "CREATE FUNCTION login(t text) RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER AS
	\$\$ BEGIN RETURN jwt_authenticate(t, '$MK', role_claim => 'role'); END \$\$;
	ALTER FUNCTION login(text) OWNER TO regress_api" >/dev/null
provoke "SET ROLE refused inside a SECURITY DEFINER function" "SELECT login('$tok')"
# a second jwt_authenticate after a switch to a role without EXECUTE on it:
# the executor refuses the call before the function runs
if out="$("${PSQL[@]}" -U regress_api -d "$db" -c "BEGIN" \
	-c "SELECT jwt_authenticate('$tok', '$MK', role_claim => 'role') IS NOT NULL" \
	-c "SELECT jwt_authenticate('$tok', '$MK')" 2>&1)"; then
	not_ok "security: log: a second jwt_authenticate after the role switch fails"
else
	n="$(grep -c 'claims are already established' <<<"$out")"
	check_eq "security: log: a second jwt_authenticate after the role switch fails with 55000's message" "$n" 1
	[ "$n" = 1 ] || sed 's/^/#   /' <<<"$out" | cut -c 1-160
fi
q "$db" "CREATE TABLE par_toks AS SELECT 'x.y.z'::text AS t" >/dev/null
provoke "jwt_verify raising in a parallel worker (the leader raises it again)" \
	"SELECT set_config(name, 'on', false) FROM pg_settings
	  WHERE name IN ('debug_parallel_query', 'force_parallel_mode');
	 SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;
	 SELECT jwt_verify(t, '$MK', algorithms => '{HS256}') FROM par_toks"
sleep 0.2
leaks="$(tail -n +"$((log_before + 1))" "$JWT_TEST_LOG" | grep -c "$M" || true)"
check_eq "security: log: none of these errors wrote the statement, the secret or the token to the log" "$leaks" 0
if [ "$leaks" != 0 ]; then
	tail -n +"$((log_before + 1))" "$JWT_TEST_LOG" | grep "$M" | head -n 5 | cut -c 1-200 | sed 's/^/#   /'
fi
check_eq "security: log: the errors themselves were logged" \
	"$(tail -n +"$((log_before + 1))" "$JWT_TEST_LOG" | grep -c 'ERROR' | awk '$1 >= 5 { print "yes" }')" yes

exit "$failed"
