-- test/docs/check.sql: compare the installed objects of the jwt extension
-- with docs/reference.md (given as the psql variable "doc").  Prints one
-- "ok - docs: ..." or "not ok - docs: ..." line per object and per problem.
-- Run by test/docs/run.sh; the rules are in docs/reference.md, "How this
-- file is checked".
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

-- the extension's schema; and load the library, so that this session
-- knows the jwt.* settings
SELECT n.nspname AS nsp
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE e.extname = 'jwt' \gset
\o /dev/null
SELECT format('SELECT %I.jwt_generate_secret(32)', :'nsp') \gexec
\o

-- sections: "### heading" up to the next one
CREATE TEMP TABLE doc_section AS
SELECT n AS sec_no, substring(sec FROM E'^### ([^\n]*)') AS heading, sec
  FROM regexp_split_to_table(:'doc', E'\n(?=### )') WITH ORDINALITY AS t(sec, n)
 WHERE sec LIKE '### %';

-- fields: "- **Name:** value", up to the next field
CREATE TEMP TABLE doc_field AS
SELECT s.sec_no, lower(m[1]) AS field, btrim(m[2], E' \t\n') AS value
  FROM doc_section s,
       regexp_split_to_table(s.sec, E'\n(?=- \\*\\*)') AS item,
       regexp_match(item, E'^- \\*\\*([A-Za-z ]+):\\*\\*(.*)$') AS m
 WHERE m IS NOT NULL;

-- objects: every `...` of an Objects field
CREATE FUNCTION pg_temp.resolve_function(ident text, nsp text) RETURNS oid
LANGUAGE plpgsql AS $$
BEGIN
	RETURN to_regprocedure(quote_ident(nsp) || '.' || ident)::oid;
EXCEPTION WHEN OTHERS THEN
	RETURN NULL;
END
$$;

CREATE TEMP TABLE doc_object AS
SELECT f.sec_no, o[1] AS ident,
       CASE WHEN o[1] LIKE '%(%' THEN 'function'
            WHEN o[1] LIKE 'jwt.%' THEN 'setting'
            ELSE 'relation' END AS kind,
       NULL::oid AS objoid
  FROM doc_field f, regexp_matches(f.value, '`([^`]+)`', 'g') AS o
 WHERE f.field = 'objects';
UPDATE doc_object SET objoid = pg_temp.resolve_function(ident, :'nsp') WHERE kind = 'function';
UPDATE doc_object SET objoid = to_regclass(quote_ident(:'nsp') || '.' || quote_ident(ident))
 WHERE kind = 'relation';

-- what the extension installed
CREATE TEMP TABLE installed AS
SELECT 'function' AS kind, p.oid AS objoid,
       p.proname || '(' || coalesce((SELECT string_agg(format_type(t, NULL), ', ' ORDER BY i)
                                       FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS u(t, i)), '')
           || ')' AS ident,
       CASE p.provolatile WHEN 'i' THEN 'IMMUTABLE' WHEN 's' THEN 'STABLE' ELSE 'VOLATILE' END AS volatility,
       CASE p.proparallel WHEN 's' THEN 'SAFE' WHEN 'r' THEN 'RESTRICTED' ELSE 'UNSAFE' END AS parallel,
       p.proisstrict AS strict, p.prosecdef AS secdef,
       has_function_privilege('public', p.oid, 'EXECUTE') AS public_ok,
       NULL::text AS context
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'jwt')
UNION ALL
SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                      WHEN 'S' THEN 'sequence' ELSE 'table' END,
       c.oid, c.relname, NULL, NULL, NULL, NULL,
       has_table_privilege('public', c.oid, 'SELECT'), NULL
  FROM pg_class c
  JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'jwt')
UNION ALL
SELECT 'setting', NULL, s.name, NULL, NULL, NULL, NULL, NULL, s.context
  FROM pg_settings s
 WHERE s.name LIKE 'jwt.%';

-- the fields each kind of object needs
CREATE TEMP TABLE required (kind text, field text);
INSERT INTO required VALUES
	('function', 'signature'), ('function', 'volatility'), ('function', 'strict'),
	('function', 'privileges'), ('function', 'errors'), ('function', 'example'),
	('relation', 'columns'), ('relation', 'privileges'), ('relation', 'example'),
	('setting', 'type'), ('setting', 'default'), ('setting', 'context'), ('setting', 'example');

-- installed objects and the sections that document them
CREATE TEMP TABLE matched AS
SELECT i.*, o.sec_no
  FROM installed i
  LEFT JOIN doc_object o
    ON (i.kind = 'function' AND o.kind = 'function' AND o.objoid = i.objoid)
    OR (i.kind NOT IN ('function', 'setting') AND o.kind = 'relation' AND o.objoid = i.objoid)
    OR (i.kind = 'setting' AND o.kind = 'setting' AND o.ident = i.ident);

CREATE FUNCTION pg_temp.field(sec bigint, name text) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT value FROM doc_field WHERE sec_no = sec AND field = name LIMIT 1
$$;

CREATE TEMP TABLE result (line text, ord integer);

-- 1. every installed object, checked against its section
INSERT INTO result
SELECT CASE WHEN problems = '{}' THEN 'ok - docs: ' ELSE 'not ok - docs: ' END
       || kind || ' `' || ident || '`'
       || CASE WHEN problems = '{}' THEN ' is documented (' || heading || ')'
               ELSE ': ' || array_to_string(problems, '; ') END,
       1
  FROM (
	SELECT m.kind, m.ident, min(s.heading) AS heading,
	       CASE
	         WHEN count(m.sec_no) = 0 THEN
	           ARRAY['not documented: add `' || m.ident || '` to the Objects field of a section in docs/reference.md']
	         WHEN count(m.sec_no) > 1 THEN
	           ARRAY['documented in ' || count(m.sec_no) || ' sections']
	         ELSE array_remove(ARRAY[
	           -- required fields
	           (SELECT 'section "' || min(s.heading) || '" lacks ' || string_agg('"- **' || initcap(r.field) || ':**"', ', ')
	              FROM required r
	             WHERE r.kind = CASE WHEN m.kind IN ('function', 'setting') THEN m.kind ELSE 'relation' END
	               AND pg_temp.field(min(m.sec_no), r.field) IS NULL
	            HAVING count(*) > 0),
	           -- function markings
	           CASE WHEN m.kind = 'function'
	                 AND NOT upper(coalesce(pg_temp.field(min(m.sec_no), 'volatility'), '')) ~ ('^\W*' || min(m.volatility))
	                THEN 'Volatility must start with ' || min(m.volatility) END,
	           CASE WHEN m.kind = 'function'
	                 AND position('PARALLEL ' || min(m.parallel) IN upper(coalesce(pg_temp.field(min(m.sec_no), 'volatility'), ''))) = 0
	                THEN 'Volatility must say PARALLEL ' || min(m.parallel) END,
	           CASE WHEN m.kind = 'function'
	                 AND (lower(coalesce(pg_temp.field(min(m.sec_no), 'strict'), '')) ~ '^\W*yes') <> bool_and(m.strict)
	                THEN 'Strict must start with ' || CASE WHEN bool_and(m.strict) THEN '"yes"' ELSE '"no"' END END,
	           CASE WHEN m.kind = 'function'
	                 AND (coalesce(pg_temp.field(min(m.sec_no), 'privileges'), '') ~* 'SECURITY DEFINER') <> bool_and(m.secdef)
	                THEN 'Privileges must ' || CASE WHEN bool_and(m.secdef) THEN '' ELSE 'not ' END || 'say SECURITY DEFINER' END,
	           -- privileges of PUBLIC (EXECUTE, or SELECT on relations)
	           CASE WHEN m.kind <> 'setting'
	                 AND (coalesce(pg_temp.field(min(m.sec_no), 'privileges'), '') ~ '^\W*PUBLIC') <> bool_and(m.public_ok)
	                THEN 'Privileges must ' || CASE WHEN bool_and(m.public_ok) THEN '' ELSE 'not ' END
	                     || 'start with PUBLIC (PUBLIC ' || CASE WHEN bool_and(m.public_ok) THEN 'may' ELSE 'may not' END
	                     || CASE WHEN m.kind = 'function' THEN ' execute it)' ELSE ' select from it)' END END,
	           CASE WHEN m.kind = 'function'
	                 AND NOT coalesce(pg_temp.field(min(m.sec_no), 'errors'), '') ~ '(\m[0-9][0-9A-Z]{4}\M|^\W*[Nn]one)'
	                THEN 'Errors must name SQLSTATEs (or say "none")' END,
	           CASE WHEN m.kind = 'setting'
	                 AND NOT coalesce(pg_temp.field(min(m.sec_no), 'context'), '') ~* ('^\W*' || min(m.context))
	                THEN 'Context must start with "' || min(m.context) || '"' END
	         ], NULL)
	       END AS problems
	  FROM matched m
	  LEFT JOIN doc_section s ON s.sec_no = m.sec_no
	 GROUP BY m.kind, m.ident, m.objoid
  ) x
 ORDER BY kind, ident;

-- 2. documented objects that are not installed
INSERT INTO result
SELECT 'not ok - docs: section "' || s.heading || '" documents `' || o.ident
       || '`, which the extension does not install'
       || CASE WHEN o.kind = 'function' THEN ' (name and argument types as in COMMENT ON FUNCTION)' ELSE '' END,
       2
  FROM doc_object o JOIN doc_section s USING (sec_no)
 WHERE CASE o.kind
         WHEN 'setting' THEN NOT EXISTS (SELECT 1 FROM installed i WHERE i.kind = 'setting' AND i.ident = o.ident)
         ELSE o.objoid IS NULL
              OR NOT EXISTS (SELECT 1 FROM installed i WHERE i.objoid = o.objoid)
       END;

-- 3. an Objects field without objects
INSERT INTO result
SELECT 'not ok - docs: section "' || s.heading || '" has an Objects field that names nothing in backquotes', 3
  FROM doc_field f JOIN doc_section s USING (sec_no)
 WHERE f.field = 'objects' AND NOT EXISTS (SELECT 1 FROM doc_object o WHERE o.sec_no = f.sec_no);

INSERT INTO result
SELECT CASE WHEN count(*) > 0 THEN 'ok' ELSE 'not ok' END
       || ' - docs: the extension installs ' || count(*) || ' functions, relations and settings', 0
  FROM installed;

SELECT line FROM result ORDER BY ord, line;
