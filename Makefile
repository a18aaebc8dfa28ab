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
	src/jwk.o \
	src/pkey.o \
	src/sign.o \
	src/verify.o \
	src/errors.o \
	src/sql_jwt.o \
	src/claims_ctx.o \
	src/sql_claims.o \
	src/denylist.o \
	src/stats.o \
	src/sql_stats.o \
	src/refresh.o

EXTENSION = jwt
DATA = jwt--0.1.0.sql jwt--0.1.0--0.1.1.sql jwt--0.1.1--0.1.2.sql
PGFILEDESC = "jwt - JSON Web Tokens inside PostgreSQL"

REGRESS = schema sign verify claims_time malformed errors json keys registry keys_rfc claims revoke rls stats refresh_lifecycle refresh_triggers harden denylist_lookalikes
REGRESS_OPTS = --load-extension=jwt
ISOLATION = consume refresh_rotate refresh_rotate_rr revoke_purge
ISOLATION_OPTS = --inputdir=test --load-extension=jwt

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
