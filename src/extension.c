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
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

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
 * The privileges that ALTER DEFAULT PRIVILEGES gave on the extension's
 * tables, views, sequences and functions, as REVOKE statements: those
 * the installing role's default privileges (for all schemas or for the
 * extension's) grant, which CREATE EXTENSION and ALTER EXTENSION UPDATE
 * applied to every object they made, since they run as that role.  The
 * scripts were written against PostgreSQL's built-in defaults: the
 * owner's, and EXECUTE on functions for PUBLIC, which they revoke where
 * a function is not for everyone; those are left.
 */
#define DEFAULT_PRIVILEGE_REVOKES \
	"SELECT pg_catalog.format('REVOKE %s ON %s %s FROM %s CASCADE'," \
	" x.privilege_type, o.kind, o.name," \
	" CASE WHEN x.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'" \
	" ELSE pg_catalog.quote_ident(r.rolname) END)" \
	" FROM (SELECT CASE WHEN c.relkind OPERATOR(pg_catalog.=) 'S' THEN 'SEQUENCE' ELSE 'TABLE' END AS kind," \
	"  c.oid::pg_catalog.regclass::pg_catalog.text AS name, c.relacl AS acl," \
	"  c.relowner AS owner, c.relnamespace AS nsp," \
	"  CASE WHEN c.relkind OPERATOR(pg_catalog.=) 'S' THEN 'S' ELSE 'r' END::pg_catalog.\"char\" AS objtype" \
	"  FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) d.objid" \
	"  WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass" \
	"  AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass" \
	"  AND d.refobjid OPERATOR(pg_catalog.=) $1 AND d.deptype OPERATOR(pg_catalog.=) 'e'" \
	" UNION ALL" \
	" SELECT 'ROUTINE', p.oid::pg_catalog.regprocedure::pg_catalog.text, p.proacl," \
	"  p.proowner, p.pronamespace, 'f'" \
	"  FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_proc p ON p.oid OPERATOR(pg_catalog.=) d.objid" \
	"  WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass" \
	"  AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass" \
	"  AND d.refobjid OPERATOR(pg_catalog.=) $1 AND d.deptype OPERATOR(pg_catalog.=) 'e') o" \
	" CROSS JOIN LATERAL pg_catalog.aclexplode(o.acl) x" \
	" LEFT JOIN pg_catalog.pg_authid r ON r.oid OPERATOR(pg_catalog.=) x.grantee" \
	" WHERE x.grantee OPERATOR(pg_catalog.<>) o.owner" \
	" AND NOT (o.objtype OPERATOR(pg_catalog.=) 'f' AND x.grantee OPERATOR(pg_catalog.=) 0)" \
	" AND EXISTS (SELECT FROM pg_catalog.pg_default_acl a" \
	"  CROSS JOIN LATERAL pg_catalog.aclexplode(a.defaclacl) y" \
	"  WHERE a.defaclrole OPERATOR(pg_catalog.=) o.owner" \
	"  AND a.defaclobjtype OPERATOR(pg_catalog.=) o.objtype" \
	"  AND (a.defaclnamespace OPERATOR(pg_catalog.=) 0 OR a.defaclnamespace OPERATOR(pg_catalog.=) o.nsp)" \
	"  AND y.grantee OPERATOR(pg_catalog.=) x.grantee" \
	"  AND y.privilege_type OPERATOR(pg_catalog.=) x.privilege_type)" \
	" ORDER BY 1"

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
	Oid			ext = get_extension_oid("jwt", false);
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1] = {ObjectIdGetDatum(ext)};
	char	  **stmts;
	uint64		n;
	uint64		i;

	if (!creating_extension || CurrentExtensionObject != ext)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("jwt_revoke_default_privileges() runs only in the jwt extension's install and update scripts")));
	if (SPI_connect() != SPI_OK_CONNECT)
		jwt_elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args(DEFAULT_PRIVILEGE_REVOKES, 1, argtypes, args,
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
	PG_RETURN_INT32((int32) n);
}
