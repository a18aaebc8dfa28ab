/*-------------------------------------------------------------------------
 *
 * sql_claims.c
 *		SQL entry points that establish the claims of a transaction:
 *		jwt_authenticate, jwt_registry_authenticate, jwt_consume,
 *		jwt_registry_consume.  jwt_claims() and jwt_claim(name), which read
 *		them, are in sql_claims_read.c.
 *
 * jwt_authenticate and jwt_consume verify with jwt_verify_with (api.c:
 * same checks, same errors), each call site keeping its own JwtVerifySite.
 * The registry's keys come from the key registry (registry.c), the
 * denylist and the consumed ids from denylist.c: direct C calls, nothing
 * is looked up by name.
 *
 * src/sql_claims.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/transam.h"
#include "catalog/catalog.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_parameter_acl.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "api.h"
#include "claim_path.h"
#include "claims_ctx.h"
#include "denylist.h"
#include "entry.h"
#include "errors.h"
#include "extension.h"
#include "refresh.h"
#include "jwt.h"
#include "registry.h"
#include "stats.h"


/*
 * jwt_verify's arguments: token, key, algorithms, audience, issuer,
 * subject, typ, require, max_age, leeway, at, audiences.  jwt_authenticate
 * and jwt_consume take the same up to leeway (never "at": authentication
 * is always about now), then their own, then audiences; the registry
 * variants have no key.
 */
#define VERIFY_SHARED		10	/* token .. leeway */
#define ARG_LEEWAY			9	/* in the key variants */

typedef enum ClaimsOp
{
	OP_AUTHENTICATE,
	OP_CONSUME
} ClaimsOp;

/* Per call site of jwt_authenticate / jwt_consume */
typedef struct AuthSite
{
	JwtVerifySite *verify;		/* jwt_verify's per call site state */
} AuthSite;

/* ---------------------------------------------------------------------
 * jwt_authenticate, jwt_consume and their registry variants
 * ---------------------------------------------------------------------
 */

static AuthSite *
auth_site(FunctionCallInfo fcinfo)
{
	AuthSite   *site = (AuthSite *) fcinfo->flinfo->fn_extra;

	if (site == NULL)
	{
		site = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(AuthSite));
		site->verify = jwt_verify_site_create(fcinfo->flinfo->fn_mcxt);
		fcinfo->flinfo->fn_extra = site;
	}
	return site;
}

/* The registry's keys as one key (a JWK Set); 55000 when it has none. */
static JwtKey *
registry_key(void)
{
	JwtKey	   *key = jwt_registry_verify_key();

	if (key == NULL)
		jwt_registry_no_key_error();
	return key;
}

/*
 * Verify the token as jwt_verify would, raising its errors, and return the
 * claims.  "registry" variants verify with the registry's keys.
 */
static Jsonb *
verify_claims(FunctionCallInfo fcinfo, AuthSite *site, JwtKeyForm form,
			  bool registry, int arg_audiences)
{
	text	   *token = PG_GETARG_TEXT_PP(0);
	JwtKey	   *key;
	JwtVerifyParams params;
	JwtVerifyResult res;

	if (registry)
		key = registry_key();
	else
		key = jwt_key_from_datum(PG_GETARG_DATUM(1), form);
	/* algorithms .. leeway; "at" is always now */
	jwt_verify_params_from_args(fcinfo, registry ? 1 : 2, false, arg_audiences, &params);
	jwt_verify_with(site->verify, VARDATA_ANY(token), VARSIZE_ANY_EXHDR(token),
					key, &params,
					registry ? JWT_STATS_COUNT | JWT_STATS_KID : JWT_STATS_COUNT, &res);
	if (registry)
		jwt_registry_check_issuer(&res);
	if (res.reason != JWT_REASON_NONE)
		jwt_report(res.reason, res.detail, false);
	return res.claims;
}

/* A string claim, or NULL when absent; "malformed" when of another type. */
static char *
string_claim(Jsonb *claims, const char *name)
{
	JsonbValue	v;

	if (getKeyJsonValueFromContainer(&claims->root, name, strlen(name), &v) == NULL)
		return NULL;
	if (v.type != jbvString)
		jwt_report(JWT_REASON_MALFORMED,
				   psprintf("Claim \"%s\" is not a string", jwt_clip(name, 64)), false);
	return pnstrdup(v.val.string.val, v.val.string.len);
}

static void
check_not_revoked(FunctionCallInfo fcinfo, AuthSite *site, Jsonb *claims)
{
	if (jwt_denylist_is_revoked(claims))
	{
		jwt_stats_count(JWT_STAT_REVOCATION, NULL, JWT_REASON_REVOKED);
		jwt_report(JWT_REASON_REVOKED,
				   "The token is on the denylist, by its \"jti\" or by its subject and issue time",
				   false);
	}
}

/* The owner of schema "nsp", or InvalidOid. */
static Oid
schema_owner(Oid nsp)
{
	HeapTuple	tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nsp));
	Oid			owner = InvalidOid;

	if (HeapTupleIsValid(tup))
	{
		owner = ((Form_pg_namespace) GETSTRUCT(tup))->nspowner;
		ReleaseSysCache(tup);
	}
	return owner;
}

/* The attribute of a pg_authid row that a token never gives, or NULL. */
static const char *
refused_attribute(Form_pg_authid form)
{
	if (form->rolsuper)
		return "SUPERUSER";
	if (form->rolbypassrls)
		return "BYPASSRLS";
	if (form->rolreplication)
		return "REPLICATION";
	if (form->rolcreaterole)
		return "CREATEROLE";
	return NULL;
}

/*
 * The refusal of "roleid" ("shown") when it is "owner", or a member of it
 * at any depth, of the object "kind" "name" (of extension "extoid" when
 * valid; the extension itself otherwise); NULL when it is neither.
 */
static char *
owner_refusal(Oid roleid, const char *shown, Oid owner, const char *kind,
			  const char *name, Oid extoid)
{
	char	   *object;

	if (!OidIsValid(owner) || !is_member_of_role(roleid, owner))
		return NULL;
	object = OidIsValid(extoid) ?
		psprintf("%s \"%s\" of extension \"%s\"", kind, name, get_extension_name(extoid)) :
		psprintf("%s \"%s\"", kind, name);
	return owner == roleid ?
		psprintf("Role \"%s\" owns %s, whose privileges a token never gives a session.",
				 shown, object) :
		psprintf("Role \"%s\" is a member of role \"%s\", the owner of %s, whose privileges a token never gives a session.",
				 shown, GetUserNameFromId(owner, false), object);
}

/*
 * The refusal of "roleid" ("shown") for what "grantee", itself or a role
 * it is a member of, "holds" (a phrase: "holds EXECUTE of ...").
 */
static char *
grantee_refusal(Oid roleid, const char *shown, Oid grantee, const char *holds)
{
	return grantee == roleid ?
		psprintf("Role \"%s\" %s, which a token never gives a session.", shown, holds) :
		psprintf("Role \"%s\" is a member of role \"%s\", which %s; a token never gives a session that.",
				 shown, GetUserNameFromId(grantee, false), holds);
}

/*
 * The first grantee of "acl" (not PUBLIC) holding a privilege of "mask"
 * that "roleid" is, or is a member of at any depth; or InvalidOid.
 */
static Oid
acl_grantee_of(Acl *acl, AclMode mask, Oid roleid)
{
	AclItem    *items = ACL_DAT(acl);

	for (int i = 0; i < ACL_NUM(acl); i++)
	{
		if (items[i].ai_grantee != ACL_ID_PUBLIC &&
			(ACLITEM_GET_PRIVS(items[i]) & mask) != 0 &&
			is_member_of_role(roleid, items[i].ai_grantee))
			return items[i].ai_grantee;
	}
	return InvalidOid;
}

/* Does "acl" grant a privilege of "mask" to PUBLIC? */
static bool
acl_public_has(Acl *acl, AclMode mask)
{
	AclItem    *items = ACL_DAT(acl);

	for (int i = 0; i < ACL_NUM(acl); i++)
	{
		if (items[i].ai_grantee == ACL_ID_PUBLIC &&
			(ACLITEM_GET_PRIVS(items[i]) & mask) != 0)
			return true;
	}
	return false;
}

/*
 * The first answer "check" gives, other than NULL, for a member object of
 * extension "extoid" (its class and OID), in the order of pg_depend; or
 * NULL.
 */
typedef char *(*MemberCheck) (Oid classid, Oid objid, Oid extoid, Oid roleid,
							  const char *shown);

static char *
extension_members_check(Oid extoid, Oid roleid, const char *shown, MemberCheck check)
{
	Relation	rel;
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tup;
	char	   *why = NULL;

	rel = table_open(DependRelationId, AccessShareLock);
	ScanKeyInit(&keys[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(ExtensionRelationId));
	ScanKeyInit(&keys[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(extoid));
	scan = systable_beginscan(rel, DependReferenceIndexId, true, NULL, 2, keys);
	while (why == NULL && HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tup);

		if (dep->deptype == DEPENDENCY_EXTENSION)
			why = check(dep->classid, dep->objid, extoid, roleid, shown);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return why;
}

/* The ACL column "attnum" of syscache "cacheid"'s row "tup"; NULL: none */
static Acl *
row_acl(int cacheid, HeapTuple tup, AttrNumber attnum)
{
	bool		isnull;
	Datum		acl = SysCacheGetAttr(cacheid, tup, attnum, &isnull);

	return isnull ? NULL : DatumGetAclP(acl);
}

/*
 * An object of the extension that "roleid" owns, or whose owner it is a
 * member of: a table (or other relation), a function (its owner can
 * replace its body, which a superuser then runs), or a type.
 */
static char *
member_owner_refusal(Oid classid, Oid objid, Oid extoid, Oid roleid, const char *shown)
{
	HeapTuple	tup;
	Oid			owner;
	const char *kind;
	char	   *name;
	char	   *why = NULL;

	if (classid == RelationRelationId &&
		HeapTupleIsValid(tup = SearchSysCache1(RELOID, ObjectIdGetDatum(objid))))
	{
		owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
		kind = "table";
		name = NameStr(((Form_pg_class) GETSTRUCT(tup))->relname);
	}
	else if (classid == ProcedureRelationId &&
			 HeapTupleIsValid(tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(objid))))
	{
		owner = ((Form_pg_proc) GETSTRUCT(tup))->proowner;
		kind = "function";
		name = NameStr(((Form_pg_proc) GETSTRUCT(tup))->proname);
	}
	else if (classid == TypeRelationId &&
			 HeapTupleIsValid(tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(objid))))
	{
		Form_pg_type typ = (Form_pg_type) GETSTRUCT(tup);

		/* a table's row type and an array type go with their table, element */
		if (OidIsValid(typ->typrelid) || IsTrueArrayType(typ))
		{
			ReleaseSysCache(tup);
			return NULL;
		}
		owner = typ->typowner;
		kind = "type";
		name = NameStr(typ->typname);
	}
	else
		return NULL;
	why = owner_refusal(roleid, shown, owner, kind, name, extoid);
	ReleaseSysCache(tup);
	return why;
}

/*
 * A function of the extension whose EXECUTE refuses a role a token names
 * (when PUBLIC may not execute it): one that acts with its owner's rights
 * (SECURITY DEFINER: jwt_registry_sign mints any token, jwt_refresh_issue
 * starts anyone's session, jwt_revoke revokes anyone's token), but
 * jwt_refresh_revoke, which acts only for the holder of the refresh token
 * it is given; or one that changes the extension's shared state without
 * any table privilege (the counts, the backends' key and denylist
 * caches).  The others run with the caller's privileges: holding them
 * gives nothing the role has not (and an administrator may well keep
 * jwt_claims or jwt_verify to the API's roles).  A function of the latter
 * kind added to the extension must be listed here.
 */
static const char *const shared_state_functions[] = {
	"jwt_stats_bump", "jwt_stats_reset", "jwt_keys_invalidate",
	"jwt_denylist_cache_invalidate",
};

static bool
refusing_function(Form_pg_proc proc)
{
	const char *name = NameStr(proc->proname);

	if (proc->prosecdef)
		return strcmp(name, "jwt_refresh_revoke") != 0;
	for (int i = 0; i < lengthof(shared_state_functions); i++)
	{
		if (strcmp(name, shared_state_functions[i]) == 0)
			return true;
	}
	return false;
}

/*
 * A grant of the extension's that "roleid" holds, itself or through a role
 * it is a member of at any depth (SET ROLE follows every grant): any
 * privilege on one of its tables, views or sequences, or on one of their
 * columns (SELECT of jwt_keys.signing_key reads the keys), EXECUTE of one
 * of its functions that PUBLIC may not execute and refusing_function
 * names, or SET or ALTER SYSTEM of one of its settings (jwt.claims_source
 * set by the session would let it write its own claims after the
 * token's).  A grant to PUBLIC is every role's and refuses none; the
 * owners' own entries are the owner rules' (checked before).
 */
static char *
grant_refusal(Oid classid, Oid objid, Oid extoid, Oid roleid, const char *shown)
{
	HeapTuple	objtup;
	Acl		   *acl;
	Oid			grantee = InvalidOid;
	char	   *what = NULL;

	if (classid == RelationRelationId &&
		HeapTupleIsValid(objtup = SearchSysCache1(RELOID, ObjectIdGetDatum(objid))))
	{
		Form_pg_class cls = (Form_pg_class) GETSTRUCT(objtup);

		if ((acl = row_acl(RELOID, objtup, Anum_pg_class_relacl)) != NULL &&
			OidIsValid(grantee = acl_grantee_of(acl, ACL_ALL_RIGHTS_RELATION |
												ACL_ALL_RIGHTS_SEQUENCE, roleid)))
			what = psprintf("privileges on table \"%s\"", NameStr(cls->relname));
		for (AttrNumber att = 1; what == NULL && att <= cls->relnatts; att++)
		{
			HeapTuple	atttup = SearchSysCache2(ATTNUM, ObjectIdGetDatum(objid),
												 Int16GetDatum(att));

			if (!HeapTupleIsValid(atttup))
				continue;
			if ((acl = row_acl(ATTNUM, atttup, Anum_pg_attribute_attacl)) != NULL &&
				OidIsValid(grantee = acl_grantee_of(acl, ACL_ALL_RIGHTS_COLUMN, roleid)))
				what = psprintf("privileges on column \"%s\" of table \"%s\"",
								NameStr(((Form_pg_attribute) GETSTRUCT(atttup))->attname),
								NameStr(cls->relname));
			ReleaseSysCache(atttup);
		}
		ReleaseSysCache(objtup);
	}
	else if (classid == ProcedureRelationId &&
			 HeapTupleIsValid(objtup = SearchSysCache1(PROCOID, ObjectIdGetDatum(objid))))
	{
		Form_pg_proc proc = (Form_pg_proc) GETSTRUCT(objtup);

		if (refusing_function(proc) &&
			(acl = row_acl(PROCOID, objtup, Anum_pg_proc_proacl)) != NULL &&
			!acl_public_has(acl, ACL_EXECUTE) &&
			OidIsValid(grantee = acl_grantee_of(acl, ACL_EXECUTE, roleid)))
			what = psprintf("EXECUTE of function \"%s\"", NameStr(proc->proname));
		ReleaseSysCache(objtup);
	}
	if (what == NULL)
		return NULL;
	return grantee_refusal(roleid, shown, grantee,
						   psprintf("holds %s of extension \"%s\"", what,
									get_extension_name(extoid)));
}

/*
 * A grant of SET or ALTER SYSTEM on one of the extension's settings
 * (jwt.*) that "roleid" holds, itself or through a role it is a member of
 * at any depth; see grant_refusal.
 */
static char *
parameter_grant_refusal(Oid roleid, const char *shown)
{
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tup;
	char	   *why = NULL;

	rel = table_open(ParameterAclRelationId, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	while (why == NULL && HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		name = heap_getattr(tup, Anum_pg_parameter_acl_parname,
										RelationGetDescr(rel), &isnull);
		char	   *parname;
		Datum		acl;
		Oid			grantee;

		if (isnull)
			continue;
		parname = TextDatumGetCString(name);
		acl = heap_getattr(tup, Anum_pg_parameter_acl_paracl, RelationGetDescr(rel), &isnull);
		if (pg_strncasecmp(parname, "jwt.", 4) == 0 && !isnull &&
			OidIsValid(grantee = acl_grantee_of(DatumGetAclP(acl), ACL_SET | ACL_ALTER_SYSTEM,
												roleid)))
			why = grantee_refusal(roleid, shown, grantee,
								  psprintf("may set the extension's setting \"%s\"", parname));
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return why;
}

/*
 * Why a token may not make a session "role", or NULL.  "shown" is the name
 * as a message quotes it (jwt_clip: the token chose it); "fn_oid" is the
 * calling function, which names the extension.
 *
 * Refused: superusers; predefined roles (pg_execute_server_program and the
 * like, all below FirstNormalObjectId and named pg_*); roles with
 * BYPASSRLS, REPLICATION or CREATEROLE (which in PostgreSQL 15 can grant
 * itself any predefined role); and every role that is a member, at any
 * depth, of a role with one of those attributes, of any predefined role
 * (pg_database_owner included: the database owner is its member), of the
 * extension's owner, of the owner of the extension's schema, or of the
 * owner of one of the extension's tables, functions or types; and every
 * role that holds, itself or through such a membership, a grant of the
 * extension's that grant_refusal and parameter_grant_refusal name.
 * Membership is is_member_of_role(): it follows every grant, INHERIT or
 * not, since SET ROLE follows them all, and has_privs_of_role() would
 * miss a NOINHERIT link.
 */
static char *
role_refusal(Oid roleid, const char *role, const char *shown, Oid fn_oid)
{
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tup;
	Form_pg_authid form;
	const char *attr = NULL;
	char	   *why = NULL;
	Oid			extoid;
	Oid			owner;
	Oid			nsp;

	if (superuser_arg(roleid))
		return psprintf("Role \"%s\" is a superuser, which a token never makes a session.", shown);
	if (roleid < FirstNormalObjectId || IsReservedName(role))
		return psprintf("Role \"%s\" is a predefined role, which a token never makes a session.", shown);
	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(roleid));
	if (!HeapTupleIsValid(tup))
		return psprintf("Role \"%s\" does not exist.", shown);
	attr = refused_attribute((Form_pg_authid) GETSTRUCT(tup));
	ReleaseSysCache(tup);
	if (attr)
		return psprintf("Role \"%s\" has %s, which a token never gives a session.", shown, attr);

	/*
	 * Members, at any depth, of a predefined role (pg_read_all_stats reads
	 * other sessions' statements, tokens and secrets included;
	 * pg_database_owner has the database owner as its member, who owns
	 * "public" in PostgreSQL 15; and so on), or of a role with a refused
	 * attribute.
	 */
	rel = table_open(AuthIdRelationId, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	while (why == NULL && HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		form = (Form_pg_authid) GETSTRUCT(tup);
		if (form->oid == roleid || !is_member_of_role(roleid, form->oid))
			continue;
		attr = refused_attribute(form);
		if (form->oid < FirstNormalObjectId)
			why = psprintf("Role \"%s\" is a member of the predefined role \"%s\", which a token never gives a session.",
						   shown, NameStr(form->rolname));
		else if (attr)
			why = psprintf("Role \"%s\" is a member of role \"%s\", which has %s; a token never gives a session its privileges.",
						   shown, NameStr(form->rolname), attr);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (why)
		return why;

	extoid = getExtensionOfObject(ProcedureRelationId, fn_oid);
	if (!OidIsValid(extoid))
		extoid = get_extension_oid("jwt", false);
	nsp = jwt_extension_schema(&owner);
	why = owner_refusal(roleid, shown, owner, "extension", get_extension_name(extoid),
						InvalidOid);
	if (why)
		return why;

	/*
	 * The owner of the extension's schema can rename it and put objects of
	 * its own under the old name, which the extension's SECURITY DEFINER
	 * functions would then use with their owner's rights.
	 */
	if (OidIsValid(nsp))
	{
		why = owner_refusal(roleid, shown, schema_owner(nsp), "schema",
							get_namespace_name(nsp), extoid);
		if (why)
			return why;
	}
	why = extension_members_check(extoid, roleid, shown, member_owner_refusal);
	if (why)
		return why;
	why = extension_members_check(extoid, roleid, shown, grant_refusal);
	if (why)
		return why;
	return parameter_grant_refusal(roleid, shown);
}

/*
 * role_refusal's verdicts, by role: it reads pg_authid whole and every
 * object of the extension (some 28 us), and each request's authentication
 * asks it again about the same few roles.  A verdict holds while the
 * catalogs it read stay as they were: any change to a role or a
 * membership, a table, a column, a function, a schema or a database
 * (their owners and grants), made in this session or committed by
 * another and seen here, forgets them all, when PostgreSQL tells the
 * backend's caches (a rolled-back change too); the extension's owner and
 * schema are compared at each use, pg_extension having no such cache.
 */
typedef struct RoleVerdict
{
	Oid			roleid;
	Oid			ext_owner;		/* the extension's owner and schema then */
	Oid			ext_nsp;
	char	   *why;			/* in TopMemoryContext; NULL: no refusal */
} RoleVerdict;

#define ROLE_VERDICTS 16

static RoleVerdict role_verdicts[ROLE_VERDICTS];
static int	role_verdicts_used;
static int	role_verdicts_next;
static bool role_verdicts_watched;
static uint64 role_verdicts_changes;	/* catalog changes seen */

static void
role_verdicts_forget(Datum arg, int cacheid, uint32 hashvalue)
{
	role_verdicts_changes++;
	for (int i = 0; i < role_verdicts_used; i++)
	{
		if (role_verdicts[i].why)
			pfree(role_verdicts[i].why);
	}
	role_verdicts_used = 0;
	role_verdicts_next = 0;
}

static char *
role_refusal_cached(Oid roleid, const char *role, const char *shown, Oid fn_oid)
{
	static const int caches[] = {AUTHOID, AUTHMEMMEMROLE, AUTHMEMROLEMEM, RELOID,
	ATTNUM, PROCOID, TYPEOID, NAMESPACEOID, DATABASEOID, PARAMETERACLOID};
	Oid			owner;
	Oid			nsp;
	RoleVerdict *v;
	char	   *why;
	uint64		changes;

	/*
	 * Take in the changes other sessions committed, as the catalog reads of
	 * role_refusal would when they lock a catalog this transaction has not
	 * locked yet: a cached verdict is as fresh as a computed one.
	 */
	AcceptInvalidationMessages();
	nsp = jwt_extension_schema(&owner);
	if (!role_verdicts_watched)
	{
		for (int i = 0; i < lengthof(caches); i++)
			CacheRegisterSyscacheCallback(caches[i], role_verdicts_forget, (Datum) 0);
		role_verdicts_watched = true;
	}
	for (int i = 0; i < role_verdicts_used; i++)
	{
		v = &role_verdicts[i];
		if (v->roleid == roleid && v->ext_owner == owner && v->ext_nsp == nsp)
			return v->why ? pstrdup(v->why) : NULL;
	}

	/*
	 * A change seen while role_refusal reads (each catalog it opens takes
	 * in the changes other sessions committed) may have come after a part
	 * it read: that verdict answers this call only.
	 */
	changes = role_verdicts_changes;
	why = role_refusal(roleid, role, shown, fn_oid);
	if (changes != role_verdicts_changes)
		return why;
	v = &role_verdicts[role_verdicts_next];
	if (role_verdicts_used == ROLE_VERDICTS && v->why)
		pfree(v->why);
	v->roleid = roleid;
	v->ext_owner = owner;
	v->ext_nsp = nsp;
	v->why = why ? MemoryContextStrdup(TopMemoryContext, why) : NULL;
	role_verdicts_next = (role_verdicts_next + 1) % ROLE_VERDICTS;
	if (role_verdicts_used < ROLE_VERDICTS)
		role_verdicts_used++;
	return why;
}

/*
 * SET LOCAL ROLE to the role named by a claim, where the session user may
 * become it (as SET ROLE requires) and role_refusal() has nothing against
 * it.  42501 otherwise.
 */
static void
assume_role(Jsonb *claims, const char *claim, const JwtClaimPath *path,
			Oid fn_oid)
{
	char	   *role;
	const char *shown;
	Oid			roleid = InvalidOid;
	const char *why = NULL;
	JsonbValue	v;

	if (!jwt_claim_path_find(claims, path, &v))
		jwt_report(JWT_REASON_MISSING_CLAIM,
				   psprintf("Claim \"%s\" names the role to assume but is missing",
							jwt_clip(claim, 64)), false);
	if (v.type != jbvString)
		jwt_report(JWT_REASON_MALFORMED,
				   psprintf("Claim \"%s\" is not a string", jwt_clip(claim, 64)), false);
	role = pnstrdup(v.val.string.val, v.val.string.len);
	shown = jwt_clip(role, 64);
	if (strlen(role) < NAMEDATALEN)
		roleid = get_role_oid(role, true);
	if (!OidIsValid(roleid))
		why = psprintf("Role \"%s\" does not exist.", shown);
	else
	{
		/* membership first: the detail tells nothing of other roles */
		if (!is_member_of_role(GetSessionUserId(), roleid))
			why = psprintf("Session user \"%s\" is not a member of role \"%s\".",
						   jwt_clip(GetUserNameFromId(GetSessionUserId(), false), 64),
						   shown);
		else
			why = role_refusal_cached(roleid, role, shown, fn_oid);
	}
	if (why)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("JSON Web Token names a role the session may not assume"),
				 errdetail("%s Claim \"%s\" names it.", why, jwt_clip(claim, 64))));

	(void) set_config_option("role", role,
							 superuser() ? PGC_SUSET : PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0, false);
}

/*
 * A NumericDate (seconds since 1970, finite or not) as a timestamptz:
 * 'infinity' at or past the end of timestamptz (year 294276, some 9.2e12
 * seconds, where the microseconds also leave int64), '-infinity' before
 * its start.  Converting such a double to int64 would be undefined.
 */
static TimestampTz
unix_to_timestamptz(double t)
{
	double		usecs = (t - JWT_UNIX_EPOCH_OFFSET_SECS) * USECS_PER_SEC;

	if (isnan(usecs) || usecs >= (double) END_TIMESTAMP)
		return DT_NOEND;
	if (usecs < (double) MIN_TIMESTAMP)
		return DT_NOBEGIN;
	return (TimestampTz) usecs;
}

/*
 * Record the token's jti as used, until its exp (plus the leeway, as long
 * as the token verifies).  The row is inserted with ON CONFLICT DO NOTHING,
 * so of two sessions presenting the token at once one waits for the other
 * and then finds it consumed.
 */
static void
consume_jti(FunctionCallInfo fcinfo, AuthSite *site, Jsonb *claims,
			double leeway)
{
	char	   *jti = string_claim(claims, "jti");
	JsonbValue	v;
	double		exp;
	TimestampTz expires_at;
	JwtConsumeStatus status;

	if (jti == NULL)
		jwt_report(JWT_REASON_MISSING_CLAIM,
				   "Claim \"jti\" is missing, and a single-use token needs it", false);
	if (getKeyJsonValueFromContainer(&claims->root, "exp", 3, &v) == NULL)
		jwt_report(JWT_REASON_MISSING_CLAIM,
				   "Claim \"exp\" is missing, and a single-use token needs it", false);
	/* jwt_verify checked that "exp" is a finite number and in the future */
	exp = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
											 NumericGetDatum(v.val.numeric)));
	expires_at = unix_to_timestamptz(exp + leeway);

	status = jwt_denylist_consume(jti, strlen(jti), expires_at);
	jwt_stats_count(JWT_STAT_CONSUMPTION, NULL,
					status == JWT_CONSUME_CONSUMED ? JWT_REASON_CONSUMED : JWT_REASON_NONE);
	if (status == JWT_CONSUME_CONSUMED)
		jwt_report(JWT_REASON_CONSUMED,
				   "Its \"jti\" was consumed by an earlier presentation", false);
	if (status == JWT_CONSUME_EXPIRED)
		jwt_report(JWT_REASON_EXPIRED,
				   "Claim \"exp\" passed while the token was being consumed", false);
}

/*
 * The body of all eight entry points.
 *
 * Key variants: token, key, algorithms .. leeway, then for authenticate
 * role_claim, check_revoked; for consume check_revoked; then audiences.
 * Registry variants: the same without key.
 */
static Datum
claims_op(FunctionCallInfo fcinfo, ClaimsOp op, JwtKeyForm form, bool registry)
{
	int			shift = registry ? 1 : 0;
	int			arg_leeway = ARG_LEEWAY - shift;
	int			arg_role = VERIFY_SHARED - shift;
	int			arg_check = (op == OP_AUTHENTICATE ? arg_role + 1 : arg_role);
	int			arg_audiences = arg_check + 1;
	AuthSite   *site;
	Jsonb	   *claims;
	double		leeway = 0;
	char	   *role_claim = NULL;
	JwtClaimPath role_path;

	if (op == OP_AUTHENTICATE)
	{
		if (jwt_claims_source != JWT_CLAIMS_SOURCE_AUTHENTICATE)
			jwt_ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("jwt_authenticate is not used when jwt.claims_source is \"%s\"",
							JWT_REQUEST_CLAIMS_SETTING),
					 errdetail("In this mode jwt_claims() reads the claims from the setting \"%s\".",
							   JWT_REQUEST_CLAIMS_SETTING),
					 errhint("Set jwt.claims_source to \"authenticate\" to establish claims with jwt_authenticate.")));
		if (jwt_claims_established())
			jwt_ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg(JWT_ALREADY_ESTABLISHED_MSG),
					 errdetail(JWT_ALREADY_ESTABLISHED_DETAIL),
					 errhint(JWT_ALREADY_ESTABLISHED_HINT)));
	}
	if (PG_ARGISNULL(0))
		jwt_report(JWT_REASON_MALFORMED, "No token was given", false);
	if (!registry && PG_ARGISNULL(1))
		jwt_ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("key must not be NULL")));
	if (!PG_ARGISNULL(arg_leeway))
		leeway = jwt_interval_seconds(PG_GETARG_INTERVAL_P(arg_leeway));
	/* the role claim's path: a caller's error, before the token's */
	if (op == OP_AUTHENTICATE && !PG_ARGISNULL(arg_role))
	{
		role_claim = text_to_cstring(PG_GETARG_TEXT_PP(arg_role));
		jwt_claim_path_parse(role_claim, &role_path);
	}

	site = auth_site(fcinfo);
	claims = verify_claims(fcinfo, site, form, registry, arg_audiences);

	if (PG_ARGISNULL(arg_check) || PG_GETARG_BOOL(arg_check))
		check_not_revoked(fcinfo, site, claims);

	/*
	 * The session check, after verification (a cached one too): "sid" is
	 * trusted only in signed claims, and only for a session of their "sub".
	 */
	if (op == OP_AUTHENTICATE && jwt_require_session)
	{
		JwtReason	sr = (JwtReason) jwt_refresh_session_check(claims);

		if (sr != JWT_REASON_NONE)
		{
			jwt_stats_count(JWT_STAT_REVOCATION, NULL, sr);
			jwt_report(sr,
					   sr == JWT_REASON_SESSION_UNKNOWN ?
					   "The token's \"sid\" names no session of its \"sub\"" :
					   sr == JWT_REASON_SESSION_REVOKED ?
					   "The token's session was logged out or revoked" :
					   "The token's session has expired or was idle too long",
					   false);
		}
	}

	if (op == OP_CONSUME)
	{
		consume_jti(fcinfo, site, claims, leeway);
		PG_RETURN_JSONB_P(claims);
	}

	if (role_claim != NULL)
		assume_role(claims, role_claim, &role_path, fcinfo->flinfo->fn_oid);
	jwt_claims_establish(claims);
	PG_RETURN_JSONB_P(claims);
}

JWT_FUNCTION(jwt_authenticate_text)
{
	return claims_op(fcinfo, OP_AUTHENTICATE, JWT_FORM_TEXT, false);
}

JWT_FUNCTION(jwt_authenticate_bytea)
{
	return claims_op(fcinfo, OP_AUTHENTICATE, JWT_FORM_BYTEA, false);
}

JWT_FUNCTION(jwt_authenticate_jsonb)
{
	return claims_op(fcinfo, OP_AUTHENTICATE, JWT_FORM_JSONB, false);
}

JWT_FUNCTION(jwt_registry_authenticate)
{
	return claims_op(fcinfo, OP_AUTHENTICATE, JWT_FORM_JSONB, true);
}

JWT_FUNCTION(jwt_consume_text)
{
	return claims_op(fcinfo, OP_CONSUME, JWT_FORM_TEXT, false);
}

JWT_FUNCTION(jwt_consume_bytea)
{
	return claims_op(fcinfo, OP_CONSUME, JWT_FORM_BYTEA, false);
}

JWT_FUNCTION(jwt_consume_jsonb)
{
	return claims_op(fcinfo, OP_CONSUME, JWT_FORM_JSONB, false);
}

JWT_FUNCTION(jwt_registry_consume)
{
	return claims_op(fcinfo, OP_CONSUME, JWT_FORM_JSONB, true);
}
