/*-------------------------------------------------------------------------
 *
 * extension.c
 *		The extension's own catalog entry: its schema, owner and version.
 *
 * Every table the extension reads or writes lives in its schema, found by
 * the schema's OID in pg_extension, never by search_path.  PostgreSQL 16
 * exports get_extension_schema(); 15 keeps it static, so the row is read
 * here, once, for every module (the registry, the denylist, the refresh
 * sessions and the role checks of authenticate).  Raises only when the
 * extension is missing, which a call of one of its functions rules out.
 * Also what the install and update scripts do about the installing role's
 * default privileges (jwt_revoke_default_privileges).
 *
 * src/extension.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "entry.h"
#include "errors.h"
#include "extension.h"

/*
 * The extension's row of pg_extension: its schema, owner and version
 * (each pointer may be NULL).  The schema is InvalidOid and the version
 * NULL when the row is missing.
 */
static void
extension_row(Oid *nsp, Oid *owner, char **version)
{
	Oid			ext = get_extension_oid("jwt", false);
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;

	*nsp = InvalidOid;
	if (owner)
		*owner = InvalidOid;
	if (version)
		*version = NULL;
	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(ext));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		*nsp = ((Form_pg_extension) GETSTRUCT(tup))->extnamespace;
		if (owner)
			*owner = ((Form_pg_extension) GETSTRUCT(tup))->extowner;
		if (version)
		{
			bool		isnull;
			Datum		d = heap_getattr(tup, Anum_pg_extension_extversion,
										 RelationGetDescr(rel), &isnull);

			if (!isnull)
				*version = TextDatumGetCString(d);
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

Oid
jwt_extension_schema(Oid *owner)
{
	Oid			nsp;

	extension_row(&nsp, owner, NULL);
	if (!OidIsValid(nsp))
		jwt_elog(ERROR, "cannot find the schema of the jwt extension");
	return nsp;
}

/*
 * The version of the extension's objects in this database (extversion):
 * the library may be newer until ALTER EXTENSION jwt UPDATE runs.
 */
char *
jwt_extension_version(void)
{
	Oid			nsp;
	char	   *version;

	extension_row(&nsp, NULL, &version);
	if (version == NULL)
		jwt_elog(ERROR, "cannot find the version of the jwt extension");
	return version;
}

char *
jwt_extension_table(const char *relname)
{
	char	   *nspname = get_namespace_name(jwt_extension_schema(NULL));

	if (nspname == NULL)
		jwt_elog(ERROR, "cannot find the schema of the jwt extension");
	return quote_qualified_identifier(nspname, relname);
}

/*
 * Is the item "x" (a row of aclexplode) one that a default privilege of
 * role "owner" gives on an object of type "objtype" ('r', 'S', 'f') made
 * in schema "nsp": same grantee, grantor, privilege and grant option?
 */
#define DEFAULT_ACL_GIVES(owner, objtype, nsp) \
	"EXISTS (SELECT FROM pg_catalog.pg_default_acl a" \
	" CROSS JOIN LATERAL pg_catalog.aclexplode(a.defaclacl) y" \
	" WHERE a.defaclrole OPERATOR(pg_catalog.=) " owner \
	" AND a.defaclobjtype OPERATOR(pg_catalog.=) " objtype \
	" AND (a.defaclnamespace OPERATOR(pg_catalog.=) 0" \
	"  OR a.defaclnamespace OPERATOR(pg_catalog.=) " nsp ")" \
	" AND y.grantee OPERATOR(pg_catalog.=) x.grantee" \
	" AND y.grantor OPERATOR(pg_catalog.=) x.grantor" \
	" AND y.privilege_type OPERATOR(pg_catalog.=) x.privilege_type" \
	" AND y.is_grantable OPERATOR(pg_catalog.=) x.is_grantable)"

/*
 * The privileges that ALTER DEFAULT PRIVILEGES gave on the extension's
 * tables, views, sequences and functions, as REVOKE statements: those
 * the installing role's default privileges (for all schemas or for the
 * extension's) grant, which CREATE EXTENSION and ALTER EXTENSION UPDATE
 * applied to every object they made, since they run as that role.  The
 * scripts were written against PostgreSQL's built-in defaults: the
 * owner's, and EXECUTE on functions for PUBLIC, which they revoke where
 * a function is not for everyone; those are left.  An item is taken back
 * when it is the one a default gives (grantee, privilege and grant
 * option, granted by the owner): a grant made by hand with another grant
 * option, or by another grantor, is left, and REVOKE ... CASCADE takes
 * the grants made with a grant option along.
 */
#define DEFAULT_PRIVILEGE_REVOKES \
	"SELECT pg_catalog.format('REVOKE %s ON %s %s FROM %s CASCADE'," \
	" x.privilege_type, o.kind, o.name," \
	" CASE WHEN x.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'" \
	" ELSE pg_catalog.quote_ident(r.rolname) END)" \
	" FROM (SELECT CASE WHEN c.relkind OPERATOR(pg_catalog.=) 'S' THEN 'SEQUENCE' ELSE 'TABLE' END AS kind," \
	"  c.oid, c.oid::pg_catalog.regclass::pg_catalog.text AS name, c.relacl AS acl," \
	"  c.relowner AS owner, c.relnamespace AS nsp," \
	"  CASE WHEN c.relkind OPERATOR(pg_catalog.=) 'S' THEN 'S' ELSE 'r' END::pg_catalog.\"char\" AS objtype" \
	"  FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) d.objid" \
	"  WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass" \
	"  AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass" \
	"  AND d.refobjid OPERATOR(pg_catalog.=) $1 AND d.deptype OPERATOR(pg_catalog.=) 'e'" \
	" UNION ALL" \
	" SELECT 'ROUTINE', p.oid, p.oid::pg_catalog.regprocedure::pg_catalog.text, p.proacl," \
	"  p.proowner, p.pronamespace, 'f'" \
	"  FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_proc p ON p.oid OPERATOR(pg_catalog.=) d.objid" \
	"  WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass" \
	"  AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass" \
	"  AND d.refobjid OPERATOR(pg_catalog.=) $1 AND d.deptype OPERATOR(pg_catalog.=) 'e') o" \
	" CROSS JOIN LATERAL pg_catalog.aclexplode(o.acl) x" \
	" LEFT JOIN pg_catalog.pg_authid r ON r.oid OPERATOR(pg_catalog.=) x.grantee" \
	" WHERE x.grantee OPERATOR(pg_catalog.<>) o.owner" \
	" AND ($2 OPERATOR(pg_catalog.=) 0 OR (o.kind OPERATOR(pg_catalog.=) 'ROUTINE'" \
	"  AND o.oid OPERATOR(pg_catalog.=) $2))" \
	" AND NOT (o.objtype OPERATOR(pg_catalog.=) 'f' AND x.grantee OPERATOR(pg_catalog.=) 0)" \
	" AND " DEFAULT_ACL_GIVES("o.owner", "o.objtype", "o.nsp") \
	" ORDER BY 1"

/*
 * A function's ACL without what default privileges would give its owner
 * on a function made in its schema (PUBLIC's EXECUTE aside), as
 * DEFAULT_PRIVILEGE_REVOKES takes back (an empty ACL when nothing is
 * left); no row for a NULL ACL (PostgreSQL's default).  A function has one privilege, EXECUTE: one item per grantee
 * and grantor.
 */
#define FUNCTION_ACL_WITHOUT_DEFAULTS \
	"SELECT COALESCE((SELECT pg_catalog.array_agg(pg_catalog.makeaclitem(x.grantee, x.grantor," \
	"  x.privilege_type, x.is_grantable))" \
	"  FROM pg_catalog.aclexplode(p.proacl) x" \
	"  WHERE NOT (x.grantee OPERATOR(pg_catalog.<>) p.proowner" \
	"  AND x.grantee OPERATOR(pg_catalog.<>) 0" \
	"  AND " DEFAULT_ACL_GIVES("p.proowner", "'f'", "p.pronamespace") "))," \
	"  '{}'::pg_catalog.aclitem[])" \
	" FROM pg_catalog.pg_proc p WHERE p.oid OPERATOR(pg_catalog.=) $1" \
	" AND p.proacl IS NOT NULL"

/*
 * Drop from a function's ACL, in place, every item whose grantor is not
 * the owner and no longer holds EXECUTE with grant option in it, until
 * none is left: what REVOKE ... CASCADE does to the grants made with a
 * grant option it takes back.  Leaving them would keep an ACL PostgreSQL
 * never makes (a privilege the owner's REVOKE cannot reach, and a dump
 * whose restore fails on it).
 */
static void
acl_drop_orphans(Acl *acl, Oid owner)
{
	AclItem    *items = ACL_DAT(acl);
	int			n = ACL_NUM(acl);
	int			i;

	for (i = 0; i < n; i++)
	{
		Oid			grantor = items[i].ai_grantor;
		bool		held = (grantor == owner);
		int			j;

		for (j = 0; j < n && !held; j++)
			held = items[j].ai_grantee == grantor &&
				(ACLITEM_GET_GOPTIONS(items[j]) & ACL_EXECUTE) != 0;
		if (!held)
		{
			memmove(&items[i], &items[i + 1], sizeof(AclItem) * (n - i - 1));
			n--;
			i = -1;				/* the item gone may have held another's */
		}
	}
	ARR_DIMS(acl)[0] = n;
	SET_VARSIZE(acl, ACL_N_SIZE(n));
}

/* Raise unless the jwt extension's install or update script is running. */
static Oid
extension_script_only(const char *function)
{
	Oid			ext = get_extension_oid("jwt", false);

	if (!creating_extension || CurrentExtensionObject != ext)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s runs only in the jwt extension's install and update scripts",
						function)));
	return ext;
}

/*
 * Revoke what default privileges gave on the extension's objects, or on
 * the one function "proc" (when valid); returns how many privileges.
 */
static int
revoke_default_privileges(Oid ext, Oid proc)
{
	Oid			argtypes[2] = {OIDOID, OIDOID};
	Datum		args[2] = {ObjectIdGetDatum(ext), ObjectIdGetDatum(proc)};
	char	  **stmts;
	uint64		n;
	uint64		i;

	if (SPI_connect() != SPI_OK_CONNECT)
		jwt_elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args(DEFAULT_PRIVILEGE_REVOKES, 2, argtypes, args,
							  NULL, true, 0) != SPI_OK_SELECT)
		jwt_elog(ERROR, "cannot read the privileges of the jwt extension's objects");
	n = SPI_processed;
	stmts = palloc(sizeof(char *) * (n + 1));
	for (i = 0; i < n; i++)
		stmts[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
	for (i = 0; i < n; i++)
		if (SPI_execute(stmts[i], false, 0) != SPI_OK_UTILITY)
			jwt_elog(ERROR, "cannot revoke a default privilege on the jwt extension's objects");
	SPI_finish();
	return (int) n;
}

/*
 * jwt_revoke_default_privileges() -> integer: revoke what default
 * privileges gave on the extension's objects (DEFAULT_PRIVILEGE_REVOKES);
 * returns how many privileges.  Only the install and update scripts call
 * it (declared, called and dropped there, with search_path = pg_catalog,
 * pg_temp): a table of keys or refresh tokens must not become readable,
 * nor a signing function callable, by a role that ALTER DEFAULT
 * PRIVILEGES names for every new table or function (as hosting setups do
 * for their API roles).
 */
JWT_FUNCTION(jwt_revoke_default_privileges)
{
	Oid			ext = extension_script_only("jwt_revoke_default_privileges()");

	PG_RETURN_INT32(revoke_default_privileges(ext, InvalidOid));
}

/*
 * jwt_copy_function_privileges(from regprocedure, to regprocedure) -> void:
 * an update script's replacement of a function (a new signature) keeps
 * the privileges given on the one it replaces.  What default privileges
 * gave the new one is revoked first (which pg_init_privs records, as the
 * extension's own), then its ACL becomes the old one's, written as it is
 * (not GRANTed, so that pg_dump still dumps the grants as the
 * administrator's), with the shared dependencies of its roles updated as
 * GRANT would: a role named in it cannot be dropped while it is (a copy
 * written to pg_proc alone left its OID behind after DROP ROLE, for a
 * later role of that OID to inherit, and pg_dump to name).
 */
JWT_FUNCTION(jwt_copy_function_privileges)
{
	Oid			from = PG_GETARG_OID(0);
	Oid			to = PG_GETARG_OID(1);
	Oid			ext = extension_script_only("jwt_copy_function_privileges()");
	Relation	rel;
	HeapTuple	totup;
	HeapTuple	newtup;
	Datum		values[Natts_pg_proc] = {0};
	bool		nulls[Natts_pg_proc] = {0};
	bool		replace[Natts_pg_proc] = {0};
	Datum		d;
	bool		isnull;
	Acl		   *oldacl = NULL;
	Acl		   *newacl = NULL;
	Oid		   *oldmembers = NULL;
	Oid		   *newmembers = NULL;
	int			noldmembers = 0;
	int			nnewmembers = 0;
	Oid			owner;
	MemoryContext caller = CurrentMemoryContext;

	revoke_default_privileges(ext, to);
	CommandCounterIncrement();

	/* the old ACL, less what default privileges gave (0.1.0 and 0.1.1) */
	if (SPI_connect() != SPI_OK_CONNECT)
		jwt_elog(ERROR, "SPI_connect failed");
	d = ObjectIdGetDatum(from);
	if (SPI_execute_with_args(FUNCTION_ACL_WITHOUT_DEFAULTS, 1, (Oid[]) {OIDOID},
							  &d, NULL, true, 0) != SPI_OK_SELECT)
		jwt_elog(ERROR, "cannot read the privileges of a function of the jwt extension");
	if (SPI_processed == 1)
	{
		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		if (!isnull)
		{
			/*
			 * In the caller's memory: SPI_finish frees the context current
			 * since SPI_connect, and the ACL is used after it
			 */
			MemoryContext spicxt = MemoryContextSwitchTo(caller);

			newacl = DatumGetAclPCopy(d);
			MemoryContextSwitchTo(spicxt);
		}
	}
	SPI_finish();

	rel = table_open(ProcedureRelationId, RowExclusiveLock);
	totup = SearchSysCacheCopy1(PROCOID, ObjectIdGetDatum(to));
	if (!HeapTupleIsValid(totup))
		jwt_elog(ERROR, "cannot find the function to copy privileges to");
	owner = ((Form_pg_proc) GETSTRUCT(totup))->proowner;
	if (newacl != NULL)
	{
		acl_drop_orphans(newacl, owner);
		nnewmembers = aclmembers(newacl, &newmembers);
		values[Anum_pg_proc_proacl - 1] = PointerGetDatum(newacl);
	}
	nulls[Anum_pg_proc_proacl - 1] = (newacl == NULL);
	replace[Anum_pg_proc_proacl - 1] = true;

	d = heap_getattr(totup, Anum_pg_proc_proacl, RelationGetDescr(rel), &isnull);
	if (!isnull)
	{
		oldacl = DatumGetAclPCopy(d);
		noldmembers = aclmembers(oldacl, &oldmembers);
	}

	newtup = heap_modify_tuple(totup, RelationGetDescr(rel), values, nulls, replace);
	CatalogTupleUpdate(rel, &newtup->t_self, newtup);
	updateAclDependencies(ProcedureRelationId, to, 0, owner,
						  noldmembers, oldmembers, nnewmembers, newmembers);
	table_close(rel, RowExclusiveLock);
	CommandCounterIncrement();
	PG_RETURN_VOID();
}
