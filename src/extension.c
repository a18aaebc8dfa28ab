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
#include "commands/extension.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

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
