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
	src/keys.o \
	src/hmac.o \
	src/jwk.o \
	src/pkey.o \
	src/sign.o \
	src/verify.o \
	src/errors.o \
	src/extension.o \
	src/encoding.o \
	src/api.o \
	src/sql_jwt.o \
	src/claims_ctx.o \
	src/sql_claims.o \
	src/denylist.o \
	src/stats.o \
	src/sql_stats.o \
	src/refresh.o \
	src/refresh_sessions.o \
	src/registry.o \
	src/token_cache.o

EXTENSION = jwt
# The version lives in jwt.control alone; META.json must agree (make check-version).
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" $(srcdir)/jwt.control)
DATA = jwt--0.1.0.sql jwt--0.1.0--0.1.1.sql jwt--0.1.1--0.1.2.sql
PGFILEDESC = "jwt - JSON Web Tokens inside PostgreSQL"

REGRESS = schema sign verify claims_time malformed errors json keys keys_secret registry registry_plants registry_edges keys_rfc claims revoke rls stats refresh_lifecycle refresh_triggers refresh_sessions harden roles messages denylist_lookalikes token_cache
REGRESS_OPTS = --load-extension=jwt
ISOLATION = consume refresh_rotate refresh_rotate_rr refresh_logout registry_cache revoke_purge token_cache
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

# META.json's two versions, the CHANGELOG's newest heading and the last
# upgrade script all name jwt.control's default_version.
.PHONY: check-version
check-version:
	@test -n "$(EXTVERSION)" || { echo "no default_version in jwt.control"; exit 1; }
	@test "$$(grep -c '"version": "$(EXTVERSION)"' $(srcdir)/META.json)" -eq 2 || \
		{ echo "META.json does not name version $(EXTVERSION) twice"; exit 1; }
	@grep -m 1 '^## ' $(srcdir)/CHANGELOG.md | grep -q '^## $(EXTVERSION) ' || \
		{ echo "CHANGELOG.md's newest heading is not $(EXTVERSION)"; exit 1; }
	@test -f $(srcdir)/jwt--$$(ls $(srcdir)/jwt--*--$(EXTVERSION).sql | sed 's/.*jwt--\(.*\)--.*/\1/')--$(EXTVERSION).sql || \
		{ echo "no upgrade script to $(EXTVERSION)"; exit 1; }
	@echo "version $(EXTVERSION): jwt.control, META.json, CHANGELOG.md and the upgrade script agree"

