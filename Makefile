# Makefile for the jwt extension (PGXS)

MODULE_big = jwt
OBJS = \
	src/jwt.o \
	src/base64url.o \
	src/json_out.o \
	src/jose_header.o \
	src/json_in.o \
	src/claims.o \
	src/algs.o \
	src/crypto.o \
	src/key_material.o \
	src/key_import.o \
	src/key_export.o \
	src/keys.o \
	src/sign.o \
	src/verify.o \
	src/errors.o \
	src/extension.o \
	src/encoding.o \
	src/api.o \
	src/sql_jwt.o \
	src/claims_ctx.o \
	src/sql_claims.o \
	src/sql_claims_read.o \
	src/claim_path.o \
	src/denylist.o \
	src/denylist_cache.o \
	src/stats.o \
	src/sql_stats.o \
	src/refresh_token.o \
	src/refresh_guard.o \
	src/refresh_rotate.o \
	src/refresh_sessions.o \
	src/registry.o \
	src/token_cache.o

EXTENSION = jwt
# The version lives in jwt.control alone; META.json must agree (make check-version).
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" $(srcdir)/jwt.control)
# The install script of the current version, jwt--$(EXTVERSION).sql, is
# built from the per-feature files sql/install/*.sql, concatenated in the
# order of their names.  jwt--0.1.0.sql and the upgrade scripts bring an
# installed 0.1.0 or 0.1.1 to the current version (test "upgrade" checks
# that both ways leave the same objects).
# The update scripts from 0.1.1 on are built the same way: sql/update/A--B.sql,
# then sql/install/99_privileges.sql, with which every script ends.
INSTALL_SQL = $(sort $(wildcard $(srcdir)/sql/install/*.sql))
UPDATES_built = $(patsubst $(srcdir)/sql/update/%,jwt--%,$(wildcard $(srcdir)/sql/update/*.sql))
DATA_built = jwt--$(EXTVERSION).sql $(UPDATES_built)
DATA = jwt--0.1.0.sql jwt--0.1.0--0.1.1.sql
EXTRA_CLEAN = jwt--$(EXTVERSION).sql $(UPDATES_built) jwt--*.sql.tmp
PGFILEDESC = "jwt - JSON Web Tokens inside PostgreSQL"

REGRESS = upgrade schema sign verify claims_time malformed errors json keys keys_secret registry registry_plants registry_edges registry_rollback keys_rfc claims revoke rls claim_plan stats refresh_lifecycle refresh_triggers refresh_collation refresh_sessions refresh_login harden roles messages denylist_lookalikes denylist_collation details sign_alg role_path audiences jwks_import token_cache crypto_reuse denylist_cache
REGRESS_OPTS = --load-extension=jwt
ISOLATION = consume refresh_rotate refresh_rotate_rr refresh_logout refresh_purge registry_cache revoke_purge session_logout session_cap jwks_import token_cache denylist_collation refresh_retry_logout claim_const_race role_verdicts
ISOLATION_OPTS = --inputdir=test --load-extension=jwt
# TAP tests (PostgreSQL::Test::Cluster; Debian: libipc-run-perl): servers of
# their own for a standby, a preloaded library, dump and restore, crashes.
TAP_TESTS = 1
PROVE_TESTS = test/t/*.pl

PG_CPPFLAGS = -I$(srcdir)/src
# Export only the fmgr entry points, _PG_init and the module magic
# (src/entry.h); PostgreSQL 16 and later add this flag themselves.
PG_CFLAGS += -fvisibility=hidden $(JWT_CFLAGS)
SHLIB_LINK += -lcrypto

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# The install script: the guard against running it in psql, then every
# sql/install/*.sql.  It must hold no PL/pgSQL (the extension's functions are
# C with SQL declarations): a build that finds any fails.
jwt--$(EXTVERSION).sql: $(INSTALL_SQL) $(srcdir)/jwt.control $(srcdir)/Makefile
	@test -n "$(INSTALL_SQL)" || { echo "no sql/install/*.sql" >&2; exit 1; }
	{ printf -- '-- $@: generated from the files in sql/install, in name order; edit those\n\n'; \
	  printf -- '-- complain if script is sourced in psql, rather than via CREATE EXTENSION\n'; \
	  printf '\\echo Use "CREATE EXTENSION jwt" to load this file. \\quit\n'; \
	  for f in $(INSTALL_SQL); do printf '\n'; cat "$$f"; done; } >$@.tmp
	@n=$$(grep -ciE 'LANGUAGE[[:space:]]+.?plpgsql|^[[:space:]]*DO[[:space:]]+([$$]|LANGUAGE)' $@.tmp); \
	if [ "$$n" -ne 0 ]; then \
		echo "$@: $$n line(s) of PL/pgSQL or DO in sql/install/*.sql:" >&2; \
		grep -niE 'LANGUAGE[[:space:]]+.?plpgsql|^[[:space:]]*DO[[:space:]]+([$$]|LANGUAGE)' $@.tmp >&2; rm -f $@.tmp; exit 1; \
	fi
	mv $@.tmp $@

$(UPDATES_built): jwt--%.sql: $(srcdir)/sql/update/%.sql $(srcdir)/sql/install/99_privileges.sql
	{ printf -- '-- $@: generated from sql/update/$*.sql and sql/install/99_privileges.sql; edit those\n\n'; \
	  cat $<; printf '\n'; cat $(srcdir)/sql/install/99_privileges.sql; } >$@.tmp
	mv $@.tmp $@

# Rebuild every object when a header changes (PGXS tracks no dependencies
# unless PostgreSQL was configured with --enable-depend).
$(OBJS): $(wildcard $(srcdir)/src/*.h)

# An installation configured without --enable-tap-tests would print a note
# and let installcheck pass without the TAP tests: fail instead.  Skip them
# on purpose with "make installcheck TAP_TESTS=".
ifdef TAP_TESTS
ifneq ($(enable_tap_tests),yes)
prove_installcheck = @echo "error: $(PG_CONFIG) names a PostgreSQL configured without --enable-tap-tests; run \"make installcheck TAP_TESTS=\" to skip the TAP tests in test/t" >&2; exit 1
endif
endif

# META.json's two versions (and its "file", a file of the source tree, not
# a built one), the CHANGELOG's newest heading, the last
# upgrade script and .gitignore's entry for the built install script all
# name jwt.control's default_version.
.PHONY: check-version
check-version:
	@test -n "$(EXTVERSION)" || { echo "no default_version in jwt.control"; exit 1; }
	@test "$$(grep -c '"version": "$(EXTVERSION)"' $(srcdir)/META.json)" -eq 2 || \
		{ echo "META.json does not name version $(EXTVERSION) twice"; exit 1; }
	@f="$$(sed -n 's/.*"file": "\(.*\)".*/\1/p' $(srcdir)/META.json)"; test -n "$$f" && test -f "$(srcdir)/$$f" && ! grep -qxF "/$$f" $(srcdir)/.gitignore || \
		{ echo "META.json's \"file\" is not a file of the repository"; exit 1; }
	@grep -m 1 '^## ' $(srcdir)/CHANGELOG.md | grep -q '^## $(EXTVERSION) ' || \
		{ echo "CHANGELOG.md's newest heading is not $(EXTVERSION)"; exit 1; }
	@ls $(srcdir)/sql/update/*--$(EXTVERSION).sql >/dev/null 2>&1 || \
		{ echo "no upgrade script to $(EXTVERSION) in sql/update"; exit 1; }
	@grep -qxF '/jwt--$(EXTVERSION).sql' $(srcdir)/.gitignore || \
		{ echo ".gitignore does not name the built install script /jwt--$(EXTVERSION).sql"; exit 1; }
	@echo "version $(EXTVERSION): jwt.control, META.json, CHANGELOG.md, the upgrade script and .gitignore agree"

