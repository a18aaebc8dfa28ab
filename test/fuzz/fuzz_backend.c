/*-------------------------------------------------------------------------
 *
 * fuzz_backend.c
 *		Coverage-guided fuzzing (libFuzzer) of the jwt extension inside a
 *		PostgreSQL backend.
 *
 * The code that parses tokens and keys allocates with palloc, reports with
 * ereport and builds jsonb and numeric values with the server's own
 * functions (JsonbValueToJsonb, numeric_in, getKeyJsonValueFromContainer,
 * the jsonb iterators).  A shim that stubs those out would fuzz a model of
 * the extension, not the extension; so this file is compiled, with every
 * src/*.c, into one shared library instrumented for libFuzzer and
 * AddressSanitizer, which a single-user backend (postgres --single) loads.
 * The SQL function jwt_fuzz(target, keys, args) then hands control to
 * libFuzzer's driver (LLVMFuzzerRunDriver), which calls one of the targets
 * below for every input, in that backend, with real memory contexts, real
 * error handling and the real fmgr entry points.  run.sh does the set-up.
 *
 * Targets (the seed corpus of each is in corpus/<target>/):
 *
 *	json	 an input is a JSON text: jwt_json_parse must never raise; when it
 *			 accepts, jsonb_in must accept the same text and give a
 *			 byte-identical jsonb, and every captured member (exp, aud, ...)
 *			 must equal the member of that jsonb.
 *	token	 an input is a token: jwt_decode and jwt_validate/jwt_verify with a
 *			 ring of keys (HMAC secret, RSA, EC, OKP keys as text, bytea and
 *			 jsonb, and a JWK Set).  jwt_validate must never raise,
 *			 jwt_verify must raise exactly when jwt_validate says invalid, and
 *			 with the reason jwt_validate gives.
 *	signed	 an input is 4 option bytes, a header JSON, a NUL byte and a
 *			 claims JSON: the harness signs them with the ring key that serves
 *			 the header's alg, so that mutated claims get past the signature,
 *			 then calls jwt_validate with options chosen by the option bytes
 *			 (the expected audience as "audience" or within "audiences")
 *			 and checks its answer against a reference implementation of the
 *			 claim rules written here from the README.
 *	key		 an input is a key argument (PEM, JWK, JWK Set or secret) as text,
 *			 bytea and jsonb: only 22023 and 54000 may be raised; a key that
 *			 parses and can sign must verify its own token (a secret that
 *			 could be key text only with "algorithms", so a secret is also
 *			 checked with its algorithm named), and so must its public JWK.
 *
 * Any other error, a wrong answer or a failed check calls abort(), which
 * libFuzzer reports as a crash with the input that caused it.
 *
 * test/fuzz/fuzz_backend.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "port/pg_bitutils.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "algs.h"
#include "base64url.h"
#include "crypto.h"
#include "json_in.h"
#include "json_out.h"
#include "jwt.h"
#include "keys.h"

extern int	LLVMFuzzerRunDriver(int *argc, char ***argv,
								int (*cb) (const uint8_t *data, size_t size));

PG_FUNCTION_INFO_V1(jwt_fuzz);

/* The evaluation time of the fuzzed tokens: 2027-01-15 08:00:00 UTC */
#define FUZZ_AT_UNIX	1800000000.0

/*
 * Blocks of the per-input memory context.  With blocks this small, aset.c
 * gives every chunk over 16 bytes a malloc'd block of its own that ends
 * where the chunk (rounded up to MAXALIGN) ends, so that ASan sees palloc
 * memory too: reads or writes past a chunk hit ASan's redzone, and a chunk
 * used after pfree or after the context's reset is in ASan's quarantine.
 * (aset.c only asserts its 1 kB minimum block size; a server without
 * assertions, as Debian's, accepts this.  A server built with assertions
 * gets the minimum, and checks chunk ends and clobbers freed chunks
 * itself: MEMORY_CONTEXT_CHECKING and CLOBBER_FREED_MEMORY.)
 */
#ifdef USE_ASSERT_CHECKING
#define FUZZ_BLOCK_SIZE	1024
#else
#define FUZZ_BLOCK_SIZE	176
#endif

#define MAX_RING	16
#define MAX_ALLOWED	4

/* jwt_verify's and jwt_validate's arguments: token .. at, audiences */
#define VERIFY_NARGS	12

typedef enum FuzzForm
{
	FORM_TEXT,
	FORM_BYTEA,
	FORM_JSONB
} FuzzForm;

typedef struct RingKey
{
	const char *name;
	FuzzForm	form;
	Datum		value;			/* text, bytea or jsonb, in TopMemoryContext */
	JwtAlgSet	serves;			/* algorithms it signs in the "signed" target */
} RingKey;

/* fmgr entry points, looked up by signature once */
typedef struct FuzzFns
{
	FmgrInfo	validate[3];	/* by FuzzForm */
	FmgrInfo	verify[3];
	FmgrInfo	sign[3];
	FmgrInfo	decode;
	FmgrInfo	public_jwk_text;
	FmgrInfo	public_jwk_jsonb;
} FuzzFns;

static FuzzFns fns;
static RingKey ring[MAX_RING];
static int	nring;
static int	ring_set = -1;		/* the JWK Set of the ring's public keys */
static MemoryContext input_cxt;
static void (*target) (const uint8 *data, size_t size);
static const char *target_name;

/* --------------------------------------------------------------------
 * Failing, and calling with the errors a step may raise
 * --------------------------------------------------------------------
 */

pg_noreturn static void
fuzz_fail(const char *fmt,...) pg_attribute_printf(1, 2);

static void
fuzz_fail(const char *fmt,...)
{
	va_list		ap;

	fprintf(stderr, "\njwt_fuzz(%s): CHECK FAILED: ", target_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	fflush(stderr);
	abort();
}

/*
 * Call fn with nargs arguments.  An error whose SQLSTATE is in "allowed"
 * (0-terminated) makes it return false with *err set; any other error
 * fails the run.  Errors are caught without a subtransaction, which is
 * sound here: the code under test takes no locks, buffers or other
 * resources a transaction abort would have to release.
 */
static bool
guarded_call(const char *what, const int *allowed, FmgrInfo *fn, int nargs,
			 const Datum *args, const bool *nulls, Datum *result,
			 bool *isnull, ErrorData **err)
{
	MemoryContext cxt = CurrentMemoryContext;
	volatile bool ok = true;

	PG_TRY();
	{
		LOCAL_FCINFO(fcinfo, VERIFY_NARGS);
		int			i;

		Assert(nargs <= VERIFY_NARGS);
		InitFunctionCallInfoData(*fcinfo, fn, nargs, InvalidOid, NULL, NULL);
		for (i = 0; i < nargs; i++)
		{
			fcinfo->args[i].value = args[i];
			fcinfo->args[i].isnull = nulls[i];
		}
		*result = FunctionCallInvoke(fcinfo);
		*isnull = fcinfo->isnull;
	}
	PG_CATCH();
	{
		ErrorData  *ed;
		int			i;

		MemoryContextSwitchTo(cxt);
		ed = CopyErrorData();
		FlushErrorState();
		for (i = 0; allowed && allowed[i]; i++)
		{
			if (ed->sqlerrcode == allowed[i])
				break;
		}
		if (allowed == NULL || allowed[i] == 0)
			fuzz_fail("%s raised %s: %s (%s)", what,
					  unpack_sql_state(ed->sqlerrcode), ed->message,
					  ed->detail ? ed->detail : "no detail");
		if (err)
			*err = ed;
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

static const int no_errors[] = {0};
static const int decode_errors[] = {ERRCODE_INVALID_TEXT_REPRESENTATION,
ERRCODE_PROGRAM_LIMIT_EXCEEDED, 0};
static const int verify_errors[] = {ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION,
ERRCODE_PROGRAM_LIMIT_EXCEEDED, 0};
static const int key_errors[] = {ERRCODE_INVALID_PARAMETER_VALUE,
ERRCODE_PROGRAM_LIMIT_EXCEEDED, 0};

/* --------------------------------------------------------------------
 * Values
 * --------------------------------------------------------------------
 */

static Datum
text_datum(const char *s, int len)
{
	return PointerGetDatum(cstring_to_text_with_len(s, len));
}

static Datum
bytea_datum(const char *s, int len)
{
	bytea	   *b = palloc(VARHDRSZ + len);

	SET_VARSIZE(b, VARHDRSZ + len);
	memcpy(VARDATA(b), s, len);
	return PointerGetDatum(b);
}

static Datum
text_array(const char *const *elems, int n)
{
	Datum		d[8];
	int			i;

	for (i = 0; i < n; i++)
		d[i] = CStringGetTextDatum(elems[i]);
	return PointerGetDatum(construct_array(d, n, TEXTOID, -1, false, TYPALIGN_INT));
}

static Datum
interval_datum(double secs)
{
	Interval   *iv = palloc0(sizeof(Interval));

	iv->time = (TimeOffset) (secs * USECS_PER_SEC);
	return PointerGetDatum(iv);
}

static TimestampTz
unix_ts(double secs)
{
	return (TimestampTz) ((secs - (double) JWT_UNIX_EPOCH_OFFSET_SECS) * USECS_PER_SEC);
}

/* jsonb_in, or NULL when it raises */
static Jsonb *
jsonb_or_null(const char *s, int len)
{
	MemoryContext cxt = CurrentMemoryContext;
	Jsonb	   *volatile jb = NULL;
	char	   *str = pnstrdup(s, len);

	PG_TRY();
	{
		jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(str)));
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
		jb = NULL;
	}
	PG_END_TRY();
	return jb;
}

static bool
valid_text(const uint8 *data, size_t size)
{
	return memchr(data, 0, size) == NULL &&
		pg_verify_mbstr(GetDatabaseEncoding(), (const char *) data, (int) size, true);
}

static double
numeric_double(Numeric n)
{
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
											  NumericGetDatum(n)));
}

/* A top-level member of a jsonb object, or NULL. */
static JsonbValue *
member(Jsonb *jb, const char *name, JsonbValue *buf)
{
	return getKeyJsonValueFromContainer(&jb->root, name, strlen(name), buf);
}

static bool
jv_str_eq(JsonbValue *v, const char *s)
{
	return v->type == jbvString && v->val.string.len == (int) strlen(s) &&
		memcmp(v->val.string.val, s, v->val.string.len) == 0;
}

/* --------------------------------------------------------------------
 * Target "json"
 * --------------------------------------------------------------------
 */

static void
target_json(const uint8 *data, size_t size)
{
	static const char *const names[] = {"exp", "nbf", "iat", "iss", "sub",
	"aud", "alg", "typ", "kid", "crit"};
	JwtJsonField f[lengthof(names)];
	Jsonb	   *jb = NULL;
	Jsonb	   *ref;
	char	   *detail = NULL;
	JwtReason	reason;
	int			i;

	memset(f, 0, sizeof(f));
	for (i = 0; i < lengthof(names); i++)
		f[i].name = names[i];

	/* jwt_json_parse never raises: the outer guard fails on any error */
	reason = jwt_json_parse((const char *) data, (int) size, "payload",
							f, lengthof(f), &jb, &detail);
	if (reason != JWT_REASON_NONE)
	{
		if (reason != JWT_REASON_MALFORMED && reason != JWT_REASON_LIMIT_EXCEEDED)
			fuzz_fail("jwt_json_parse returned reason %d", (int) reason);
		if (detail == NULL)
			fuzz_fail("jwt_json_parse gave no detail");
		return;
	}
	if (jb == NULL || !JB_ROOT_IS_OBJECT(jb) || JB_ROOT_IS_SCALAR(jb))
		fuzz_fail("jwt_json_parse accepted but made no object");

	/* jsonb_in must agree, byte for byte (it reads the database encoding) */
	if (memchr(data, 0, size) == NULL && GetDatabaseEncoding() == PG_UTF8)
	{
		ref = jsonb_or_null((const char *) data, (int) size);
		if (ref == NULL)
			fuzz_fail("jwt_json_parse accepted a document jsonb_in rejects");
		if (VARSIZE(ref) != VARSIZE(jb) ||
			memcmp(VARDATA(ref), VARDATA(jb), VARSIZE(jb) - VARHDRSZ) != 0)
			fuzz_fail("jwt_json_parse and jsonb_in built different jsonb");
	}

	/* the captured members are the members of the jsonb */
	for (i = 0; i < lengthof(names); i++)
	{
		JsonbValue	buf;
		JsonbValue *v = member(jb, names[i], &buf);

		if (v == NULL)
		{
			if (f[i].type != JWT_JSON_ABSENT)
				fuzz_fail("member \"%s\" captured but absent", names[i]);
			continue;
		}
		switch (v->type)
		{
			case jbvString:
				if (f[i].type != JWT_JSON_STRING ||
					strlen(f[i].str) != (size_t) v->val.string.len ||
					memcmp(f[i].str, v->val.string.val, v->val.string.len) != 0)
					fuzz_fail("string member \"%s\" captured wrongly", names[i]);
				break;
			case jbvNumeric:
				{
					double		d = numeric_double(v->val.numeric);

					if (f[i].type != JWT_JSON_NUMBER ||
						!(f[i].num == d || (isnan(d) && isnan(f[i].num))))
						fuzz_fail("number member \"%s\" captured as %.17g, jsonb says %.17g",
								  names[i], f[i].num, d);
				}
				break;
			case jbvBool:
				if (f[i].type != JWT_JSON_BOOL)
					fuzz_fail("boolean member \"%s\" captured wrongly", names[i]);
				break;
			case jbvNull:
				if (f[i].type != JWT_JSON_NULL)
					fuzz_fail("null member \"%s\" captured wrongly", names[i]);
				break;
			case jbvBinary:
				if (JsonContainerIsArray(v->val.binary.data))
				{
					JsonbIterator *it = JsonbIteratorInit(v->val.binary.data);
					JsonbValue	e;
					JsonbIteratorToken tok;
					int			nstr = 0;
					bool		all = true;

					while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
					{
						if (tok != WJB_ELEM)
							continue;
						if (e.type == jbvString)
						{
							if (nstr >= f[i].nelems ||
								strlen(f[i].elems[nstr]) != (size_t) e.val.string.len ||
								memcmp(f[i].elems[nstr], e.val.string.val, e.val.string.len) != 0)
								fuzz_fail("array member \"%s\" element %d captured wrongly",
										  names[i], nstr);
							nstr++;
						}
						else
							all = false;
					}
					if (f[i].type != JWT_JSON_ARRAY || f[i].nelems != nstr ||
						f[i].elems_ok != all)
						fuzz_fail("array member \"%s\" captured wrongly", names[i]);
				}
				else if (f[i].type != JWT_JSON_OBJECT)
					fuzz_fail("object member \"%s\" captured wrongly", names[i]);
				break;
			default:
				fuzz_fail("unexpected jsonb value type %d", (int) v->type);
		}
	}
}

/* --------------------------------------------------------------------
 * Verifying through the SQL entry points
 * --------------------------------------------------------------------
 */

typedef struct VerifyArgs
{
	Datum		args[VERIFY_NARGS];
	bool		nulls[VERIFY_NARGS];
} VerifyArgs;

static void
verify_args_init(VerifyArgs *va, Datum token, Datum key)
{
	int			i;

	for (i = 0; i < VERIFY_NARGS; i++)
	{
		va->args[i] = (Datum) 0;
		va->nulls[i] = true;
	}
	va->args[0] = token;
	va->nulls[0] = false;
	va->args[1] = key;
	va->nulls[1] = false;
}

static void
verify_arg(VerifyArgs *va, int argno, Datum value)
{
	va->args[argno] = value;
	va->nulls[argno] = false;
}

typedef struct Verdict
{
	bool		raised;			/* jwt_validate raised an allowed error */
	bool		valid;
	char	   *reason;			/* NULL when valid */
	Jsonb	   *header;
	Jsonb	   *claims;
} Verdict;

/*
 * jwt_validate, then jwt_verify with the same arguments: jwt_verify must
 * raise 28000/54000 exactly when jwt_validate says invalid, naming the same
 * reason.  "validate_allowed" lists the errors jwt_validate may raise
 * (bad key arguments in the key target; none otherwise).
 */
static void
validate_and_verify(FuzzForm form, VerifyArgs *va, const int *validate_allowed,
					Verdict *out)
{
	Datum		d;
	bool		isnull;
	HeapTupleHeader th;
	bool		n1,
				n2,
				n3,
				n4;
	Datum		valid,
				reason,
				header,
				claims;
	ErrorData  *err = NULL;
	char	   *want;

	memset(out, 0, sizeof(*out));
	if (!guarded_call("jwt_validate", validate_allowed, &fns.validate[form], VERIFY_NARGS,
					  va->args, va->nulls, &d, &isnull, &err))
	{
		out->raised = true;
		/* jwt_verify must raise the same error for a bad argument */
		if (guarded_call("jwt_verify", validate_allowed, &fns.verify[form], VERIFY_NARGS,
						 va->args, va->nulls, &d, &isnull, NULL))
			fuzz_fail("jwt_validate raised %s but jwt_verify did not",
					  unpack_sql_state(err->sqlerrcode));
		return;
	}
	if (isnull)
		fuzz_fail("jwt_validate returned NULL for non-NULL arguments");
	th = DatumGetHeapTupleHeader(d);
	valid = GetAttributeByNum(th, 1, &n1);
	reason = GetAttributeByNum(th, 2, &n2);
	header = GetAttributeByNum(th, 3, &n3);
	claims = GetAttributeByNum(th, 4, &n4);
	if (n1)
		fuzz_fail("jwt_validate returned a NULL valid");
	out->valid = DatumGetBool(valid);
	out->reason = n2 ? NULL : TextDatumGetCString(reason);
	out->header = n3 ? NULL : DatumGetJsonbP(header);
	out->claims = n4 ? NULL : DatumGetJsonbP(claims);
	if (out->valid && (out->reason || !out->header || !out->claims))
		fuzz_fail("jwt_validate: valid without header and claims, or with a reason");
	if (!out->valid && out->reason == NULL)
		fuzz_fail("jwt_validate: invalid without a reason");
	if (!out->valid && out->claims &&
		(strcmp(out->reason, "bad_signature") == 0 ||
		 strcmp(out->reason, "malformed") == 0 ||
		 strcmp(out->reason, "algorithm_not_allowed") == 0 ||
		 strcmp(out->reason, "key_mismatch") == 0 ||
		 strcmp(out->reason, "unknown_key") == 0))
		fuzz_fail("jwt_validate returned claims with reason %s", out->reason);

	/* jwt_verify agrees */
	err = NULL;
	if (guarded_call("jwt_verify", verify_errors, &fns.verify[form], VERIFY_NARGS,
					 va->args, va->nulls, &d, &isnull, &err))
	{
		if (!out->valid)
			fuzz_fail("jwt_verify accepted what jwt_validate calls %s", out->reason);
		if (isnull)
			fuzz_fail("jwt_verify returned NULL for a valid token");
		return;
	}
	if (out->valid)
		fuzz_fail("jwt_verify raised %s for a token jwt_validate accepts: %s",
				  unpack_sql_state(err->sqlerrcode), err->message);
	want = psprintf("(reason: %s).", out->reason);
	if (err->detail == NULL || strstr(err->detail, want) == NULL)
		fuzz_fail("jwt_verify raised \"%s\" for a token jwt_validate calls %s",
				  err->detail ? err->detail : err->message, out->reason);
}

/* --------------------------------------------------------------------
 * Target "token"
 * --------------------------------------------------------------------
 */

static void
target_token(const uint8 *data, size_t size)
{
	Datum		token;
	Datum		d;
	bool		isnull;
	int			i;

	if (!valid_text(data, size))
		return;					/* not a possible text value */
	token = text_datum((const char *) data, (int) size);

	(void) guarded_call("jwt_decode", decode_errors, &fns.decode, 1,
						&token, (bool[]) {false}, &d, &isnull, NULL);

	for (i = 0; i < nring; i++)
	{
		VerifyArgs	va;
		Verdict		v;

		verify_args_init(&va, token, ring[i].value);
		verify_arg(&va, 10, TimestampTzGetDatum(unix_ts(FUZZ_AT_UNIX)));
		validate_and_verify(ring[i].form, &va, no_errors, &v);
	}
}

/* --------------------------------------------------------------------
 * Target "signed"
 * --------------------------------------------------------------------
 */

typedef struct SignedOpts
{
	int			naud;			/* 0: no audience checked */
	const char *auds[2];
	bool		aud_array;		/* passed as "audiences", not "audience" */
	const char *issuer;
	const char *subject;
	const char *typ;
	int			nrequire;
	const char *require[3];
	bool		has_max_age;
	double		max_age;
	double		leeway;
	double		now;
	int			nalgs;
	const char *algs[2];
} SignedOpts;

static void
signed_opts(const uint8 *o, const JwtAlg *alg, SignedOpts *so)
{
	static const char *const strs[] = {"a", "b", "", "alice"};
	static const char *const typs[] = {"JWT", "at+jwt", "application/JWT", "jwt"};
	static const double leeways[] = {0, 30, 86400, 0.5};
	static const double ages[] = {0, 60, 3600, 1e9};
	static const double nows[] = {0, -3600, 3600, 1e9};

	memset(so, 0, sizeof(*so));
	if (o[0] & 1)
	{
		const char *aud = strs[(o[0] >> 1) & 3];

		/* "audience", or "audiences" naming it alone, second or first */
		so->naud = 1;
		so->auds[0] = aud;
		switch ((o[2] >> 6) & 3)
		{
			case 1:
				so->aud_array = true;
				break;
			case 2:
				so->aud_array = true;
				so->naud = 2;
				so->auds[0] = strs[((o[0] >> 1) + 1) & 3];
				so->auds[1] = aud;
				break;
			case 3:
				so->aud_array = true;
				so->naud = 2;
				so->auds[1] = "zz";
				break;
		}
	}
	so->issuer = (o[0] & 8) ? strs[(o[0] >> 4) & 3] : NULL;
	so->subject = (o[0] & 64) ? strs[(o[0] >> 5) & 3] : NULL;
	so->typ = (o[0] & 128) ? typs[o[1] & 3] : NULL;
	switch ((o[1] >> 2) & 3)
	{
		case 1:
			so->nrequire = 1;
			so->require[0] = "exp";
			break;
		case 2:
			so->nrequire = 2;
			so->require[0] = "sub";
			so->require[1] = "jti";
			break;
		case 3:
			so->nrequire = 1;
			so->require[0] = "";
			break;
	}
	so->has_max_age = (o[1] & 16) != 0;
	so->max_age = ages[(o[1] >> 5) & 3];
	so->leeway = leeways[o[2] & 3];
	so->now = FUZZ_AT_UNIX + nows[(o[2] >> 2) & 3];
	switch ((o[2] >> 4) & 3)
	{
		case 1:
			so->nalgs = 1;
			so->algs[0] = alg ? alg->name : "HS256";
			break;
		case 2:
			so->nalgs = 2;
			so->algs[0] = "HS256";
			so->algs[1] = "RS256";
			break;
		case 3:
			so->nalgs = 1;
			so->algs[0] = "EdDSA";
			break;
	}
}

/* a number claim as the claim rules see it, or false when absent */
static bool
num_claim(Jsonb *claims, const char *name, double *out)
{
	JsonbValue	buf;
	JsonbValue *v = member(claims, name, &buf);

	if (v == NULL)
		return false;
	if (v->type != jbvNumeric)
		fuzz_fail("a valid-typed claims set has a non-numeric \"%s\"", name);
	*out = numeric_double(v->val.numeric);
	return true;
}

static bool
typ_matches(const char *have, const char *want)
{
	if (pg_strncasecmp(have, "application/", 12) == 0)
		have += 12;
	if (pg_strncasecmp(want, "application/", 12) == 0)
		want += 12;
	return pg_strcasecmp(have, want) == 0;
}

/*
 * The reason the README's rules give for a token whose signature verified,
 * from its header and claims: NULL for valid.  Written independently of
 * claims.c, as the reference the target compares with.
 */
static const char *
expected_reason(Jsonb *header, Jsonb *claims, const SignedOpts *so)
{
	JsonbValue	buf;
	JsonbValue *v;
	double		exp,
				nbf,
				iat;
	bool		has_exp = num_claim(claims, "exp", &exp);
	bool		has_nbf = num_claim(claims, "nbf", &nbf);
	bool		has_iat = num_claim(claims, "iat", &iat);
	double		now = so->now;
	double		lw = so->leeway;
	int			i;

	if (so->typ)
	{
		char	   *t;

		v = member(header, "typ", &buf);
		if (v == NULL)
			return "typ_mismatch";
		t = pnstrdup(v->val.string.val, v->val.string.len);
		if (!typ_matches(t, so->typ))
			return "typ_mismatch";
	}
	if (has_exp && now >= exp + lw)
		return "expired";
	if (has_nbf && now < nbf - lw)
		return "not_yet_valid";
	if (has_iat && iat > now + lw)
		return "not_yet_valid";
	if (so->has_max_age)
	{
		if (!has_iat)
			return "missing_claim";
		if (now - iat > so->max_age + lw)
			return "too_old";
	}
	if (so->issuer)
	{
		v = member(claims, "iss", &buf);
		if (v == NULL || !jv_str_eq(v, so->issuer))
			return "issuer_mismatch";
	}
	if (so->subject)
	{
		v = member(claims, "sub", &buf);
		if (v == NULL || !jv_str_eq(v, so->subject))
			return "subject_mismatch";
	}
	v = member(claims, "aud", &buf);
	if (so->naud > 0)
	{
		bool		found = false;

		if (v == NULL)
			return "audience_mismatch";
		for (i = 0; i < so->naud; i++)
		{
			if (v->type == jbvString)
				found |= jv_str_eq(v, so->auds[i]);
			else
			{
				JsonbIterator *it = JsonbIteratorInit(v->val.binary.data);
				JsonbValue	e;
				JsonbIteratorToken tok;

				while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
				{
					if (tok == WJB_ELEM && jv_str_eq(&e, so->auds[i]))
						found = true;
				}
			}
		}
		if (!found)
			return "audience_mismatch";
	}
	else if (v != NULL)
		return "audience_mismatch";
	for (i = 0; i < so->nrequire; i++)
	{
		if (member(claims, so->require[i], &buf) == NULL)
			return "missing_claim";
	}
	return NULL;
}

/* sign "input" (header.payload) with the ring key's JwtKey under alg */
static char *
sign_input(RingKey *rk, const JwtAlg *alg, const char *input, int len,
		   int *siglen_out)
{
	JwtKey	   *key;
	unsigned char *sig = palloc(1024);
	size_t		siglen = 1024;
	bool		ok;

	if (rk->form == FORM_JSONB)
		key = jwt_key_get((const char *) DatumGetPointer(rk->value),
						  VARSIZE(DatumGetPointer(rk->value)), JWT_FORM_JSONB);
	else
		key = jwt_key_get(VARDATA_ANY(DatumGetPointer(rk->value)),
						  VARSIZE_ANY_EXHDR(DatumGetPointer(rk->value)),
						  rk->form == FORM_TEXT ? JWT_FORM_TEXT : JWT_FORM_BYTEA);
	ok = jwt_crypto_sign(key, alg, input, len, sig, &siglen);
	if (!ok)
		fuzz_fail("the harness could not sign with %s", alg->name);
	*siglen_out = (int) siglen;
	return (char *) sig;
}

static void
target_signed(const uint8 *data, size_t size)
{
	const uint8 *opts;
	const char *hjson;
	const char *pjson;
	const char *nul;
	int			hlen,
				plen,
				siglen;
	const JwtAlg *alg = NULL;
	RingKey    *rk = NULL;
	JwtJsonField f = {.name = "alg"};
	Jsonb	   *dummy;
	char	   *detail;
	char	   *token;
	char	   *p;
	char	   *sig;
	SignedOpts	so;
	VerifyArgs	va;
	Verdict		v;
	const char *want;
	int			i;

	if (size < 4)
		return;
	opts = data;
	hjson = (const char *) data + 4;
	nul = memchr(hjson, 0, size - 4);
	if (nul == NULL)
		return;
	hlen = nul - hjson;
	pjson = nul + 1;
	plen = (const char *) data + size - pjson;

	/* the ring key that serves the header's alg (HS256's when none does) */
	if (jwt_json_parse(hjson, hlen, "header", &f, 1, &dummy, &detail) == JWT_REASON_NONE &&
		f.type == JWT_JSON_STRING)
		alg = jwt_alg_by_name(f.str, strlen(f.str));
	for (i = 0; i < nring && alg; i++)
	{
		if (ring[i].serves & JWT_ALG_BIT(alg->id))
		{
			rk = &ring[i];
			break;
		}
	}
	if (rk == NULL)
	{
		alg = jwt_alg_by_id(JWT_ALG_HS256);
		rk = &ring[0];
	}

	/* header.payload.signature */
	token = palloc(B64URL_ENC_LEN(hlen) + B64URL_ENC_LEN(plen) + 2 +
				   B64URL_ENC_LEN(1024) + 1);
	p = token;
	p += b64url_encode((const unsigned char *) hjson, hlen, p);
	*p++ = '.';
	p += b64url_encode((const unsigned char *) pjson, plen, p);
	sig = sign_input(rk, alg, token, p - token, &siglen);
	*p++ = '.';
	p += b64url_encode((const unsigned char *) sig, siglen, p);

	signed_opts(opts, alg, &so);
	verify_args_init(&va, text_datum(token, p - token), rk->value);
	if (so.nalgs)
		verify_arg(&va, 2, text_array(so.algs, so.nalgs));
	if (so.naud > 0 && !so.aud_array)
		verify_arg(&va, 3, CStringGetTextDatum(so.auds[0]));
	else if (so.naud > 0)
		verify_arg(&va, 11, text_array(so.auds, so.naud));
	if (so.issuer)
		verify_arg(&va, 4, CStringGetTextDatum(so.issuer));
	if (so.subject)
		verify_arg(&va, 5, CStringGetTextDatum(so.subject));
	if (so.typ)
		verify_arg(&va, 6, CStringGetTextDatum(so.typ));
	if (so.nrequire)
		verify_arg(&va, 7, text_array(so.require, so.nrequire));
	if (so.has_max_age)
		verify_arg(&va, 8, interval_datum(so.max_age));
	verify_arg(&va, 9, interval_datum(so.leeway));
	verify_arg(&va, 10, TimestampTzGetDatum(unix_ts(so.now)));

	/* an allow-list naming an HS algorithm the secret is too short for raises */
	validate_and_verify(rk->form, &va, key_errors, &v);
	if (v.raised)
		return;

	/*
	 * When the signature verified (claims came back, or it is valid), the
	 * claim rules decide; check them against the reference.
	 */
	if (v.claims)
	{
		want = expected_reason(v.header, v.claims, &so);
		if ((want == NULL) != v.valid ||
			(want && strcmp(want, v.reason) != 0))
			fuzz_fail("jwt_validate says %s, the claim rules say %s",
					  v.valid ? "valid" : v.reason, want ? want : "valid");
	}
	else if (!v.valid && strcmp(v.reason, "bad_signature") == 0)
		fuzz_fail("a token the harness signed with %s has a bad signature", alg->name);
}

/* --------------------------------------------------------------------
 * Target "key"
 * --------------------------------------------------------------------
 */

/*
 * Sign a token with the key under one algorithm it serves, and verify it
 * with the same key (a secret also with that algorithm named) and with its
 * public JWK.
 */
static void
key_roundtrip(FuzzForm form, Datum keyd, JwtKey *key)
{
	JwtKey	   *k = key;
	const JwtAlg *alg;
	Datum		args[6];
	bool		nulls[6] = {false, false, false, true, true, true};
	Datum		tok;
	Datum		pub;
	bool		isnull;
	bool		single;
	bool		secret;
	VerifyArgs	va;
	Verdict		v;
	StringInfoData hdr;

	if (key->kind == JWT_KEY_SET)
	{
		int			i;

		k = NULL;
		for (i = 0; i < key->nmembers; i++)
		{
			if (key->members[i]->has_private && key->members[i]->can_sign &&
				key->members[i]->kid)
			{
				k = key->members[i];
				break;
			}
		}
		if (k == NULL)
			return;
		initStringInfo(&hdr);
		appendStringInfoString(&hdr, "{\"kid\":");
		json_out_string(&hdr, k->kid, strlen(k->kid));
		appendStringInfoChar(&hdr, '}');
		args[3] = DirectFunctionCall1(jsonb_in, CStringGetDatum(hdr.data));
		nulls[3] = false;
	}
	if (!k->has_private || !k->can_sign || k->usable == 0)
		return;
	/* the weakest algorithm it serves: RSA signing is slow, one is enough */
	alg = jwt_alg_by_id(pg_rightmost_one_pos32(k->usable));
	if (k->kind == JWT_KEY_RSA && k->bits > 4096)
		return;
	/* k may be evicted from the key cache by the calls below */
	single = (k == key && k->kind != JWT_KEY_SECRET);
	secret = (k == key && k->kind == JWT_KEY_SECRET);

	args[0] = DirectFunctionCall1(jsonb_in, CStringGetDatum("{\"sub\": \"fuzz\"}"));
	args[1] = keyd;
	args[2] = CStringGetTextDatum(alg->name);
	if (!guarded_call("jwt_sign", key_errors, &fns.sign[form], 6, args, nulls,
					  &tok, &isnull, NULL))
		return;

	verify_args_init(&va, tok, keyd);
	validate_and_verify(form, &va, key_errors, &v);
	if (!v.raised && !v.valid)
		fuzz_fail("a token signed with %s by the key does not verify with it: %s",
				  alg->name, v.reason);

	/*
	 * A secret that signed verifies when the caller names the algorithm,
	 * even one that needs "algorithms" (it could be the text of a key).
	 */
	if (secret)
	{
		Datum		name = CStringGetTextDatum(alg->name);

		verify_args_init(&va, tok, keyd);
		verify_arg(&va, 2, PointerGetDatum(construct_array(&name, 1, TEXTOID, -1,
														   false, TYPALIGN_INT)));
		validate_and_verify(form, &va, key_errors, &v);
		if (v.raised || !v.valid)
			fuzz_fail("a token signed with %s by a secret does not verify with it and algorithms => '{%s}': %s",
					  alg->name, alg->name, v.raised ? "an error was raised" : v.reason);
	}

	if (!single)
		return;
	if (!guarded_call("jwt_public_jwk", key_errors,
					  form == FORM_JSONB ? &fns.public_jwk_jsonb : &fns.public_jwk_text,
					  1, &keyd, (bool[]) {false}, &pub, &isnull, NULL))
		return;
	verify_args_init(&va, tok, pub);
	validate_and_verify(FORM_JSONB, &va, key_errors, &v);
	if (!v.raised && !v.valid)
		fuzz_fail("a token signed with %s does not verify with the key's public JWK: %s",
				  alg->name, v.reason);
}

/* jwt_key_get under a guard: NULL when it raised an allowed error */
static JwtKey *
key_get_guarded(const char *bytes, int len, JwtKeyForm form)
{
	MemoryContext cxt = CurrentMemoryContext;
	JwtKey	   *volatile key = NULL;

	PG_TRY();
	{
		key = jwt_key_get(bytes, len, form);
	}
	PG_CATCH();
	{
		ErrorData  *ed;

		MemoryContextSwitchTo(cxt);
		ed = CopyErrorData();
		FlushErrorState();
		if (ed->sqlerrcode != ERRCODE_INVALID_PARAMETER_VALUE &&
			ed->sqlerrcode != ERRCODE_PROGRAM_LIMIT_EXCEEDED)
			fuzz_fail("jwt_key_get raised %s: %s (%s)",
					  unpack_sql_state(ed->sqlerrcode), ed->message,
					  ed->detail ? ed->detail : "no detail");
		key = NULL;
	}
	PG_END_TRY();
	return key;
}

static void
target_key(const uint8 *data, size_t size)
{
	const char *s = (const char *) data;
	JwtKey	   *key;
	Datum		d;
	bool		isnull;

	/* bytea: any bytes (a secret or a PEM document) */
	key = key_get_guarded(s, (int) size, JWT_FORM_BYTEA);
	if (key)
		key_roundtrip(FORM_BYTEA, bytea_datum(s, (int) size), key);

	if (!valid_text(data, size))
		return;

	/* text: secret, PEM, JWK or JWK Set */
	key = key_get_guarded(s, (int) size, JWT_FORM_TEXT);
	d = text_datum(s, (int) size);
	if (key)
		key_roundtrip(FORM_TEXT, d, key);
	(void) guarded_call("jwt_public_jwk(text)", key_errors, &fns.public_jwk_text,
						1, &d, (bool[]) {false}, &d, &isnull, NULL);

	/* jsonb: JWK or JWK Set, when it is JSON at all */
	{
		Jsonb	   *jb = jsonb_or_null(s, (int) size);

		if (jb == NULL)
			return;
		key = key_get_guarded((const char *) jb, VARSIZE(jb), JWT_FORM_JSONB);
		if (key)
			key_roundtrip(FORM_JSONB, PointerGetDatum(jb), key);
	}
}

/* --------------------------------------------------------------------
 * Driver
 * --------------------------------------------------------------------
 */

static int
one_input(const uint8_t *data, size_t size)
{
	MemoryContext old = MemoryContextSwitchTo(input_cxt);

	PG_TRY();
	{
		target(data, size);
	}
	PG_CATCH();
	{
		ErrorData  *ed;

		MemoryContextSwitchTo(input_cxt);
		ed = CopyErrorData();
		FlushErrorState();
		fuzz_fail("unexpected error %s: %s (%s)", unpack_sql_state(ed->sqlerrcode),
				  ed->message, ed->detail ? ed->detail : "no detail");
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old);
	MemoryContextReset(input_cxt);
	return 0;
}

static void
lookup(FmgrInfo *fi, const char *signature)
{
	Oid			oid;

	oid = DatumGetObjectId(DirectFunctionCall1(regprocedurein,
											   CStringGetDatum(signature)));
	fmgr_info_cxt(oid, fi, TopMemoryContext);
}

#define VARGS "text[],text,text,text,text,text[],interval,interval,timestamptz,text[])"

static void
lookup_functions(void)
{
	static const char *const forms[3] = {"text", "bytea", "jsonb"};
	int			i;

	for (i = 0; i < 3; i++)
	{
		lookup(&fns.validate[i], psprintf("jwt_validate(text,%s," VARGS, forms[i]));
		lookup(&fns.verify[i], psprintf("jwt_verify(text,%s," VARGS, forms[i]));
		lookup(&fns.sign[i], psprintf("jwt_sign(jsonb,%s,text,jsonb,interval,interval)",
									  forms[i]));
	}
	lookup(&fns.decode, "jwt_decode(text)");
	lookup(&fns.public_jwk_text, "jwt_public_jwk(text)");
	lookup(&fns.public_jwk_jsonb, "jwt_public_jwk(jsonb)");
}

/*
 * The key ring: {"ring": [{"name": ..., "form": "text"|"bytea"|"jsonb",
 * "key": <string, or a JSON value for jsonb>, "serves": [algs]}]}.  A bytea
 * key is given as a string of hex digits.
 */
static void
load_ring(Jsonb *keys)
{
	JsonbValue	buf;
	JsonbValue *v = member(keys, "ring", &buf);
	JsonbIterator *it;
	JsonbValue	e;
	JsonbIteratorToken tok;
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

	if (v == NULL || v->type != jbvBinary)
		elog(ERROR, "keys: no \"ring\" array");
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
	{
		Jsonb	   *entry;
		JsonbValue	b2;
		JsonbValue *name,
				   *form,
				   *key,
				   *serves;
		RingKey    *rk;

		if (tok != WJB_ELEM)
			continue;
		if (nring == MAX_RING)
			elog(ERROR, "keys: more than %d ring keys", MAX_RING);
		entry = JsonbValueToJsonb(&e);
		rk = &ring[nring];
		name = member(entry, "name", &b2);
		rk->name = pnstrdup(name->val.string.val, name->val.string.len);
		form = member(entry, "form", &b2);
		rk->form = jv_str_eq(form, "text") ? FORM_TEXT :
			jv_str_eq(form, "bytea") ? FORM_BYTEA : FORM_JSONB;
		key = member(entry, "key", &b2);
		if (rk->form == FORM_JSONB)
			rk->value = PointerGetDatum(JsonbValueToJsonb(key));
		else if (rk->form == FORM_TEXT)
			rk->value = text_datum(key->val.string.val, key->val.string.len);
		else
			rk->value = DirectFunctionCall2(binary_decode,
											text_datum(key->val.string.val, key->val.string.len),
											CStringGetTextDatum("hex"));
		serves = member(entry, "serves", &b2);
		if (serves && serves->type == jbvBinary)
		{
			JsonbIterator *it2 = JsonbIteratorInit(serves->val.binary.data);
			JsonbValue	a;

			while ((tok = JsonbIteratorNext(&it2, &a, true)) != WJB_DONE)
			{
				const JwtAlg *alg;

				if (tok != WJB_ELEM || a.type != jbvString)
					continue;
				alg = jwt_alg_by_name(a.val.string.val, a.val.string.len);
				if (alg == NULL)
					elog(ERROR, "keys: unknown algorithm in \"serves\"");
				rk->serves |= JWT_ALG_BIT(alg->id);
			}
		}
		if (strcmp(rk->name, "set") == 0)
			ring_set = nring;
		nring++;
	}
	if (nring == 0 || ring[0].form != FORM_BYTEA)
		elog(ERROR, "keys: the first ring key must be the HMAC secret (bytea)");
	MemoryContextSwitchTo(old);
}

/*
 * jwt_fuzz(target text, keys jsonb, args text[]) RETURNS int
 *
 * Runs libFuzzer with "args" (corpus directories and -flags) on a target.
 * libFuzzer ends the process when it is done (exit status 0) or when it
 * found a crash (non-zero, with the input saved as an artifact), so this
 * function does not return.
 */
Datum
jwt_fuzz(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	Jsonb	   *keys = PG_GETARG_JSONB_P(1);
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(2);
	Datum	   *elems;
	bool	   *enulls;
	int			n;
	int			argc;
	char	  **argv;
	int			i;

	if (strcmp(name, "json") == 0)
		target = target_json;
	else if (strcmp(name, "token") == 0)
		target = target_token;
	else if (strcmp(name, "signed") == 0)
		target = target_signed;
	else if (strcmp(name, "key") == 0)
		target = target_key;
	else
		elog(ERROR, "unknown fuzz target \"%s\"", name);
	target_name = MemoryContextStrdup(TopMemoryContext, name);

	/*
	 * The "signed" target verifies with leeways up to a day; set the
	 * variable itself, since a jwt.max_leeway given before the library is
	 * loaded is a placeholder setting that LeakSanitizer reports.
	 */
	jwt_max_leeway = 86400;
	lookup_functions();
	load_ring(keys);
	input_cxt = AllocSetContextCreate(TopMemoryContext, "jwt fuzz input",
									  0, FUZZ_BLOCK_SIZE, FUZZ_BLOCK_SIZE);

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &enulls, &n);
	argv = MemoryContextAlloc(TopMemoryContext, sizeof(char *) * (n + 2));
	argv[0] = "jwt_fuzz";
	for (i = 0; i < n; i++)
		argv[i + 1] = MemoryContextStrdup(TopMemoryContext,
										  TextDatumGetCString(elems[i]));
	argv[n + 1] = NULL;
	argc = n + 1;

	fflush(stdout);
	LLVMFuzzerRunDriver(&argc, &argv, one_input);
	PG_RETURN_INT32(0);
}
