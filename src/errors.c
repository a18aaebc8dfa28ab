/*-------------------------------------------------------------------------
 *
 * errors.c
 *		The reason table: keyword, message and SQLSTATE of every way a
 *		token can be rejected, and jwt_report() which raises them.
 *
 * Tokens and secrets never reach this file: callers pass a detail sentence
 * that names claims and values, never the token or the key.
 *
 * src/errors.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "access/htup_details.h"
#include "access/parallel.h"
#include "access/xact.h"
#include "commands/prepare.h"
#include "executor/spi.h"
#include "common/keywords.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "parser/scansup.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "claims_ctx.h"
#include "encoding.h"
#include "entry.h"
#include "errors.h"

typedef struct JwtReasonInfo
{
	const char *keyword;
	const char *message;
	int			sqlstate;
} JwtReasonInfo;

static const JwtReasonInfo reason_table[JWT_REASON_COUNT] = {
	[JWT_REASON_NONE] = {"valid", "JSON Web Token is valid", 0},
	[JWT_REASON_MALFORMED] = {"malformed", "JSON Web Token is malformed",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
	[JWT_REASON_BAD_SIGNATURE] = {"bad_signature", "JSON Web Token signature is invalid",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
	[JWT_REASON_ALGORITHM_NOT_ALLOWED] = {"algorithm_not_allowed", "JSON Web Token algorithm is not allowed",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
	[JWT_REASON_EXPIRED] = {"expired", "JSON Web Token has expired",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
	[JWT_REASON_NOT_YET_VALID] = {"not_yet_valid", "JSON Web Token is not yet valid",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
	[JWT_REASON_TOO_OLD] = {"too_old", "JSON Web Token is too old",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
	[JWT_REASON_AUDIENCE_MISMATCH] = {"audience_mismatch", "JSON Web Token audience does not match",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
	[JWT_REASON_ISSUER_MISMATCH] = {"issuer_mismatch", "JSON Web Token issuer does not match",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
	[JWT_REASON_SUBJECT_MISMATCH] = {"subject_mismatch", "JSON Web Token subject does not match",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
	[JWT_REASON_TYP_MISMATCH] = {"typ_mismatch", "JSON Web Token type does not match",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
	[JWT_REASON_MISSING_CLAIM] = {"missing_claim", "JSON Web Token lacks a required claim",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
	[JWT_REASON_KEY_MISMATCH] = {"key_mismatch", "JSON Web Token algorithm does not match the key",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
	[JWT_REASON_UNKNOWN_KEY] = {"unknown_key", "JSON Web Token names no known key",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
	[JWT_REASON_UNSUPPORTED_CRITICAL_HEADER] = {"unsupported_critical_header", "JSON Web Token has an unsupported critical header parameter",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
	[JWT_REASON_LIMIT_EXCEEDED] = {"limit_exceeded", "JSON Web Token exceeds a configured limit",
	ERRCODE_PROGRAM_LIMIT_EXCEEDED},
	[JWT_REASON_REVOKED] = {"revoked", "JSON Web Token has been revoked",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
	[JWT_REASON_CONSUMED] = {"consumed", "JSON Web Token has already been used",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
	[JWT_REASON_SESSION_REVOKED] = {"session_revoked", "JSON Web Token session has been revoked",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
	[JWT_REASON_SESSION_EXPIRED] = {"session_expired", "JSON Web Token session has ended",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
	[JWT_REASON_SESSION_UNKNOWN] = {"session_unknown", "JSON Web Token names no live session",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
};

const char *
jwt_reason_keyword(JwtReason reason)
{
	Assert(reason >= 0 && reason < JWT_REASON_COUNT);
	return reason_table[reason].keyword;
}

void
jwt_report(JwtReason reason, const char *detail, bool as_input_error)
{
	const JwtReasonInfo *info;
	int			sqlstate;

	Assert(reason > JWT_REASON_NONE && reason < JWT_REASON_COUNT);
	info = &reason_table[reason];
	sqlstate = info->sqlstate;
	if (as_input_error && reason == JWT_REASON_MALFORMED)
		sqlstate = ERRCODE_INVALID_TEXT_REPRESENTATION;

	/*
	 * The statement is not logged with the error: its text usually holds
	 * the token (log_min_error_statement), and a rejected token may still
	 * be valid for another audience.  The client gets the error as usual.
	 */
	jwt_ereport(ERROR,
			(errcode(sqlstate),
			 errmsg("%s", info->message),
			 detail ? errdetail("%s (reason: %s).", detail, info->keyword)
			 : errdetail("(reason: %s).", info->keyword),
			 errhidestmt(true)));
}

/*
 * The error context callback of every entry point (entry.h): called for
 * each error and message raised while one runs, whoever raises it, it
 * keeps the statement out of the server log, and the context lines too:
 * those of the callers may quote the function's arguments (COPY's quotes
 * the row it loads, whose token a CHECK constraint or a trigger verifies).
 * The client still gets them.
 */
void
jwt_hide_statement_callback(void *arg)
{
	errhidestmt(true);
	errhidecontext(true);

	/*
	 * A parallel worker's error is raised again in the leader, which is not
	 * running one of our functions then and does not receive hide_stmt: the
	 * context line marks it, and jwt_leader_log_hook hides it there too.
	 */
	if (IsParallelWorker())
		errcontext("%s", JWT_WORKER_CONTEXT);
}

static emit_log_hook_type prev_emit_log_hook = NULL;

/*
 * Does the text name one of the extension's functions or tables: "jwt_" in
 * any case (a statement may write JWT_Verify, which folds to jwt_verify;
 * jwt_keys), "refresh_tokens" (a restore's INSERT of a row, retry key
 * included, which pg_dump --inserts writes), or a Unicode-escaped
 * identifier (U&"\006Awt_verify" is jwt_verify), which is taken to name one
 * without being decoded?  The tests below know the extension by this
 * alone; hiding the statement of some other function so named, or of any
 * statement with a U&"" identifier, costs nothing but a log line.
 */
static bool
mentions_jwt(const char *text)
{
	const char *p;

	if (text == NULL)
		return false;
	for (p = text; *p != '\0'; p++)
	{
		if ((*p == 'j' || *p == 'J') && pg_strncasecmp(p, "jwt_", 4) == 0)
			return true;
		if ((*p == 'r' || *p == 'R') && pg_strncasecmp(p, "refresh_tokens", 14) == 0)
			return true;
		if ((*p == 'u' || *p == 'U') && p[1] == '&' && p[2] == '"')
			return true;
	}
	return false;
}

static bool
ident_char(char c)
{
	return IS_HIGHBIT_SET(c) || isalnum((unsigned char) c) || c == '_' || c == '$';
}

/*
 * Past the comment at "p" (-- to the end of the line, or a nested
 * slash-star one, as the SQL lexer reads them); "p" when none starts
 * there.
 */
static const char *
skip_comment(const char *p)
{
	if (p[0] == '-' && p[1] == '-')
	{
		while (*p != '\0' && *p != '\n' && *p != '\r')
			p++;
	}
	else if (p[0] == '/' && p[1] == '*')
	{
		int			depth = 0;

		do
		{
			if (p[0] == '/' && p[1] == '*')
				depth++, p++;
			else if (p[0] == '*' && p[1] == '/')
				depth--, p++;
			p++;
		} while (depth > 0 && *p != '\0');
	}
	return p;
}

/*
 * Skip white space and comments as the SQL lexer does.  Each byte passed
 * costs one of *budget; NULL once it is spent.
 */
static const char *
skip_blanks(const char *p, int64 *budget)
{
	const char *start = p;
	const char *q;

	for (;;)
	{
		if (scanner_isspace(*p))
			p++;
		else if ((q = skip_comment(p)) != p)
			p = q;
		else
			break;
	}
	*budget -= p - start;
	return *budget < 0 ? NULL : p;
}

/*
 * The identifier at "p", as the parser reads it: folded to lower case, or
 * double-quoted; truncated to NAMEDATALEN - 1 bytes.  Palloc'd.  No more
 * than READ_IDENTIFIER_MAX bytes are copied, whatever the text's length;
 * *after is where the identifier ends in the text (past its closing
 * quote).  The bytes read are charged to *budget (see executes_jwt).
 */
#define READ_IDENTIFIER_MAX (NAMEDATALEN * MAX_MULTIBYTE_CHAR_LEN)

static char *
read_identifier(const char *p, const char **after, int64 *budget)
{
	StringInfoData buf;
	const char *q;

	if (*p != '"')
	{
		for (q = p; ident_char(*q); q++)
			;
		*after = q;
		*budget -= q - p;
		return downcase_truncate_identifier(p, Min(q - p, READ_IDENTIFIER_MAX), false);
	}
	initStringInfo(&buf);
	for (q = p + 1; *q != '\0'; q++)
	{
		if (*q == '"' && q[1] != '"')
		{
			q++;
			break;
		}
		if (*q == '"')
			q++;
		if (buf.len < READ_IDENTIFIER_MAX)
			appendStringInfoChar(&buf, *q);
	}
	truncate_identifier(buf.data, buf.len, false);
	*after = q;
	*budget -= q - p;
	return buf.data;
}

/*
 * The names of the prepared statements that named the extension when an
 * EXECUTE ran them in this session (jwt_copy_utility notes them):
 * executes_jwt looks a name up when a line is logged, which may be after
 * the string that executed it deallocated it and prepared the name again
 * (in the string, or in a function it called), or when a suspended portal
 * of it is fetched from again.  A name noted stays noted (an EXECUTE of it
 * is masked for nothing after); past NOTED_NAMES_MAX names, an EXECUTE
 * of any prepared statement counts.
 */

static List *executed_names = NIL;	/* of char *, in TopMemoryContext */
static bool executed_overflow = false;

static Node *
execute_of(Node *stmt)
{
	int			depth;

	for (depth = 0; stmt != NULL && depth < 8; depth++)
	{
		if (IsA(stmt, ExecuteStmt))
			return stmt;
		if (IsA(stmt, Query))
			stmt = ((Query *) stmt)->utilityStmt;
		else if (IsA(stmt, ExplainStmt))
			stmt = ((ExplainStmt *) stmt)->query;
		else if (IsA(stmt, CreateTableAsStmt))
			stmt = ((CreateTableAsStmt *) stmt)->query;
		else
			return NULL;
	}
	return NULL;
}

/* Is "name" one of "names" (of char *)? */
static bool
name_listed(List *names, const char *name)
{
	ListCell   *lc;

	foreach(lc, names)
	{
		if (strcmp((const char *) lfirst(lc), name) == 0)
			return true;
	}
	return false;
}

/*
 * Add "name" to *names, in TopMemoryContext; past NOTED_NAMES_MAX names,
 * set *overflow instead.
 */
#define NOTED_NAMES_MAX 256

static void
name_note(List **names, bool *overflow, const char *name)
{
	MemoryContext cxt;

	if (list_length(*names) >= NOTED_NAMES_MAX)
	{
		*overflow = true;
		return;
	}
	cxt = MemoryContextSwitchTo(TopMemoryContext);
	*names = lappend(*names, pstrdup(name));
	MemoryContextSwitchTo(cxt);
}

static bool
executed_name(const char *name)
{
	return name_listed(executed_names, name);
}

static bool executes_jwt_at(const char *text, bool any_statement, int depth,
							int64 *budget);

static void
note_execute(Node *stmt)
{
	ExecuteStmt *es = (ExecuteStmt *) execute_of(stmt);
	PreparedStatement *ps;

	if (es == NULL || es->name == NULL || executed_overflow ||
		executed_name(es->name) ||
		(ps = FetchPreparedStatement(es->name, false)) == NULL ||
		(!mentions_jwt(ps->plansource->query_string) &&
		 !executes_jwt_at(ps->plansource->query_string, false, 1, NULL)))
		return;
	name_note(&executed_names, &executed_overflow, es->name);
}

/*
 * The cursors this session DECLAREd with a query that named the extension
 * (jwt_copy_utility notes them): the query runs, and fails, at the FETCH
 * or MOVE (psycopg's named cursors), whose text names only the cursor.
 * Such a statement is noted as naming the extension: its query string and
 * its start (GetCurrentStatementStartTimestamp), both compared when a line
 * is logged, so that a later statement whose string lands at the same
 * address is not taken for it.  Past NOTED_NAMES_MAX names, every FETCH
 * counts.  A cursor declared WITH HOLD runs its query to its end when its
 * transaction commits (a COMMIT, a procedure's COMMIT, the Sync of an
 * extended-protocol statement outside a block, where no statement is
 * current): every error of the transaction after such a DECLARE counts
 * (held_jwt_cursor, cleared when the transaction ends), and so do those of
 * the statement during which it failed.  Cursors that
 * PL/pgSQL opens or fetches (OPEN, a function returning a refcursor) are
 * not seen here (README).
 */
static List *cursor_names = NIL;	/* of char *, in TopMemoryContext */
static bool cursor_overflow = false;
static bool held_jwt_cursor = false;
static bool held_callback = false;
static bool held_aborted = false;	/* its transaction failed in ... */
static TimestampTz held_aborted_start = 0;	/* ... this statement */
static const char *fetch_jwt_string = NULL;
static TimestampTz fetch_jwt_start = 0;

static bool
cursor_noted(const char *name)
{
	return cursor_overflow || (name != NULL && name_listed(cursor_names, name));
}

/* Does the statement being reported FETCH from such a cursor, or commit one? */
static bool
fetches_jwt(void)
{
	return held_jwt_cursor ||
		(held_aborted && GetCurrentStatementStartTimestamp() == held_aborted_start) ||
		(debug_query_string != NULL && debug_query_string == fetch_jwt_string &&
		 GetCurrentStatementStartTimestamp() == fetch_jwt_start);
}

/*
 * The transaction ends.  A procedure's failed COMMIT aborts, starts a new
 * transaction and raises the error again: the statement that was running
 * (the CALL) still counts.  Elsewhere the error is reported before the
 * abort, and a ROLLBACK outside a procedure leaves nothing.
 */
static void
held_cursor_xact_end(XactEvent event, void *arg)
{
	if ((event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT) &&
		held_jwt_cursor && SPI_inside_nonatomic_context())
	{
		held_aborted = true;
		held_aborted_start = GetCurrentStatementStartTimestamp();
	}
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PREPARE || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_PARALLEL_ABORT)
		held_jwt_cursor = false;
}

static void
note_cursor(Node *stmt, const char *query_string)
{
	DeclareCursorStmt *dc;

	if (IsA(stmt, FetchStmt))
	{
		if (cursor_noted(((FetchStmt *) stmt)->portalname))
		{
			fetch_jwt_string = debug_query_string;
			fetch_jwt_start = GetCurrentStatementStartTimestamp();
		}
		return;
	}
	if (!IsA(stmt, DeclareCursorStmt) ||
		(dc = (DeclareCursorStmt *) stmt)->portalname == NULL ||
		(!mentions_jwt(query_string) && !executes_jwt_at(query_string, false, 1, NULL)))
		return;
	if (dc->options & CURSOR_OPT_HOLD)
	{
		if (!held_callback)
		{
			RegisterXactCallback(held_cursor_xact_end, NULL);
			held_callback = true;
		}
		held_jwt_cursor = true;
	}
	if (!cursor_noted(dc->portalname))
		name_note(&cursor_names, &cursor_overflow, dc->portalname);
}

/*
 * Does the text EXECUTE a prepared statement of this session whose query
 * names one of the extension's functions: EXECUTE p('token', 'key'), also
 * in EXPLAIN EXECUTE and CREATE TABLE AS EXECUTE?  Such a statement holds
 * the arguments of the call, and not the function's name.  The name after
 * each EXECUTE keyword is read (read_identifier) and looked up.  A name
 * this session has no prepared statement for counts too when arguments
 * follow it: that statement failed for want of it (prepared on another
 * connection behind a pooler, or deallocated), and its arguments may be a
 * token and a key.  A word EXECUTE elsewhere (a string, CREATE TRIGGER's
 * EXECUTE FUNCTION, GRANT EXECUTE ON) costs a lookup.  With
 * "any_statement", any name after EXECUTE will do: the text quotes another
 * session's query, whose prepared statements this one cannot see.
 *
 * The text is any statement a client sent, and this runs in the log hook,
 * where nothing can be cancelled: the scan is linear in the text.  Each
 * EXECUTE word is looked at from where it is, in strings and comments
 * too (a match there costs a log line; a real EXECUTE missed would log a
 * token), so the blanks, comments and names after one may be read again
 * from the next: "--execute--execute..." reads the rest of the line at
 * each.  The bytes read are counted, a prepared statement's query at its
 * length (and the query followed one level down from there), each lookup
 * of the noted names at their count, and a text that has cost more than
 * four times its length and 64 kB is taken to execute one.  A name noted
 * by note_execute counts whatever it means now.
 */
static bool
executes_jwt(const char *text, bool any_statement)
{
	return executes_jwt_at(text, any_statement, 0, NULL);
}

/*
 * executes_jwt, "depth" prepared statements down: one whose text EXECUTEs
 * another (a client's protocol-level statement "EXECUTE p(...)") is
 * followed once more, charged to the same budget ("outer", NULL for a
 * budget of this text's own).
 */
static bool
executes_jwt_at(const char *text, bool any_statement, int depth,
				int64 *outer)
{
	const char *p;
	int64		own = 0;
	int64	   *budget = outer;
	PreparedStatement *seen = NULL;

	if (text == NULL)
		return false;
	if (budget == NULL)
	{
		own = 4 * (int64) strlen(text) + 65536;
		budget = &own;
	}
	for (p = text; *p != '\0'; p++)
	{
		const char *name;
		const char *after;
		char	   *ident;
		PreparedStatement *ps;

		if ((*p != 'e' && *p != 'E') || pg_strncasecmp(p, "execute", 7) != 0 ||
			(p > text && ident_char(p[-1])) || ident_char(p[7]))
			continue;
		if ((name = skip_blanks(p + 7, budget)) == NULL)
			return true;
		if (*name != '"' && !ident_char(*name))
			continue;
		if (any_statement)
			return true;
		ident = read_identifier(name, &after, budget);
		/* the noted names are compared: charged as a name's bytes each */
		*budget -= (int64) list_length(executed_names) * NAMEDATALEN;
		if (*budget < 0 || executed_overflow || executed_name(ident))
		{
			pfree(ident);
			return true;
		}
		ps = FetchPreparedStatement(ident, false);
		pfree(ident);
		if (ps != NULL)
		{
			if (ps == seen)
				continue;
			seen = ps;
			*budget -= strlen(ps->plansource->query_string);
			if (*budget < 0 || mentions_jwt(ps->plansource->query_string) ||
				(depth < 1 &&
				 executes_jwt_at(ps->plansource->query_string, false, depth + 1, budget)))
				return true;
		}
		else if ((after = skip_blanks(after, budget)) == NULL || *after == '(')
			return true;
	}
	return false;
}

/*
 * Is this the executor's refusal to run a function for want of EXECUTE
 * (aclcheck_error), for one of the extension's functions?  Such an error
 * is raised before the function runs, so its error context callback
 * cannot hide the statement, whose text holds the token or key the call
 * was given.  The function is known by the untranslated message and its
 * name in the formatted one.
 */
static bool
execute_refused(const ErrorData *edata)
{
	return edata->elevel >= ERROR &&
		edata->sqlerrcode == ERRCODE_INSUFFICIENT_PRIVILEGE &&
		edata->message_id != NULL &&
		strcmp(edata->message_id, "permission denied for function %s") == 0 &&
		mentions_jwt(edata->message);
}

/*
 * Is the text as long as a report quoting a cut query can be?  The
 * deadlock report and the postmaster's report of a backend that died
 * quote the query of a backend as pg_stat_activity has it, cut at
 * track_activity_query_size (the postmaster's at 1 kB at most, its
 * buffer): a statement that writes a long token or key before the
 * extension's name (a CTE, a VALUES list, over several lines) is quoted
 * without the name.  A text that long (less a character's bytes) is taken
 * to quote one; the cost of a false match is the report's queries.
 */
static bool
quotes_cut_query(const char *text, bool postmaster)
{
	int			cut = pgstat_track_activity_query_size;

	if (postmaster)
		cut = Min(cut, 1024);
	return text != NULL && strlen(text) >= cut - MAX_MULTIBYTE_CHAR_LEN;
}

/*
 * Is this PostgreSQL's report of a deadlock whose text for the server log
 * (errdetail_log) quotes a query calling one of the extension's functions?
 * It lists the query of every process in the cycle, one of which may hold
 * a token or key (jwt_authenticate waiting for the denylist's tables), and
 * errhidestmt does not hide it; the detail the client gets has no query.
 * Known by mentions_jwt, or by an EXECUTE of a prepared statement (of
 * another session, which may call the extension: executes_jwt): the cost
 * of a false match is the queries of a deadlock report.  Reached in the
 * backend that detects the deadlock, when it has loaded the library
 * (every backend when it is in shared_preload_libraries).
 */
static bool
deadlock_quotes_jwt(const ErrorData *edata)
{
	return edata->sqlerrcode == ERRCODE_T_R_DEADLOCK_DETECTED &&
		(mentions_jwt(edata->detail_log) || executes_jwt(edata->detail_log, true) ||
		 quotes_cut_query(edata->detail_log, false));
}

/*
 * PostgreSQL's statement logging (log_statement, log_min_duration_statement,
 * log_duration) and auto_explain, known by their untranslated messages:
 * each quotes the statement (auto_explain: its plan, whose Output lines
 * hold the values of a custom plan's parameters), and the detail holds the
 * bind parameters (log_parameter_max_length, -1 by default: all of them)
 * or an EXECUTEd statement's query; debug_print_plan and its kin print the
 * statement's tree, constants included, as the detail.  Each entry: the
 * format, and after how many ": " of the message the statement starts (0:
 * it holds none).
 */
static const struct
{
	const char *format;
	int			colons;
}			statement_logs[] = {
	{"statement: %s", 1},
	{"duration: %s ms  statement: %s", 2},
	{"duration: %s ms  parse %s: %s", 2},
	{"duration: %s ms  bind %s%s%s: %s", 2},
	{"duration: %s ms  %s %s%s%s: %s", 2},
	{"%s %s%s%s: %s", 1},
	{"parse %s: %s", 1},		/* log_min_messages at debug2 */
	{"duration: %.3f ms  plan:\n%s", -1},	/* auto_explain: after "plan:" */
	{"duration: %s ms", 0},
	{"%s:", 0},					/* debug_print_parse, _rewritten, _plan */
};

#define STATEMENT_NOT_LOGGED "<not logged: it names the jwt extension>"
#define MASKED "***"

/*
 * The statement as the log may show it: its SQL keywords, the names that
 * start with jwt_, $n parameters, operators and punctuation as written;
 * every other word, quoted name, number and string ('...', $$...$$, with
 * any prefix) as ***, and comments left out.  So the log still says what
 * ran (DROP TABLE ***, SELECT jwt_sign(***, ***)) without a value a
 * client wrote into it: a token or a key is a string, and written without
 * quotes it is a name.  Linear in the text.
 *
 * Where a '...' string ends depends on backslashes: they escape in E''
 * strings, in a string continued from one ('a' <newline> 'b'), in every
 * string while standard_conforming_strings is off (which may have changed
 * between the time the text was read and the time it is logged), never
 * in B'' and X'' strings.  mask_reading reads the text once with every
 * backslash escaping and once with none; the statement is masked only
 * when both readings end every string in the same place, which any mix
 * of the two then does too.  Otherwise NULL: the caller does not log the
 * text at all.
 */
static char *mask_reading(const char *text, bool escapes, uint64 *ends);

static char *
mask_statement(const char *text)
{
	uint64		ends_escaped = 0;
	uint64		ends_plain = 0;
	char	   *escaped = mask_reading(text, true, &ends_escaped);
	char	   *plain = mask_reading(text, false, &ends_plain);

	if (ends_escaped != ends_plain || strcmp(escaped, plain) != 0)
	{
		pfree(escaped);
		pfree(plain);
		return NULL;
	}
	pfree(plain);
	return escaped;
}

/*
 * One reading of mask_statement's; *ends gets a hash of where its strings
 * end.
 */
static char *
mask_reading(const char *text, bool escapes, uint64 *ends)
{
	StringInfoData buf;
	const char *p = text;
	char	   *tag;

	initStringInfo(&buf);
	while (*p != '\0')
	{
		const char *start = p;

		if ((p = skip_comment(start)) != start)
			appendStringInfoChar(&buf, ' ');
		else if (*p == '\'' || *p == '"')
		{
			char		q = *p++;

			for (; *p != '\0'; p++)
			{
				if (*p == '\\' && escapes && q == '\'')
				{
					if (*++p == '\0')
						break;
					continue;
				}
				if (*p == q)
				{
					if (p[1] != q)
						break;
					p++;
				}
			}
			if (*p != '\0')
				p++;
			*ends = *ends * 31 + (p - text);
			appendStringInfo(&buf, "%c" MASKED "%c", q, q);
		}
		else if (*p == '$' && isdigit((unsigned char) p[1]))
		{
			for (p++; isdigit((unsigned char) *p); p++)
				;
			appendBinaryStringInfo(&buf, start, p - start);
		}
		else if (*p == '$')
		{
			/* $tag$ ... $tag$; a $ that opens none is an operator */
			const char *t = p + 1;
			const char *end;

			while (ident_char(*t) && *t != '$')
				t++;
			if (*t != '$' || (t > p + 1 && isdigit((unsigned char) p[1])))
			{
				appendStringInfoChar(&buf, *p++);
				continue;
			}
			t++;
			tag = pnstrdup(p, t - p);
			end = strstr(t, tag);
			pfree(tag);
			p = end ? end + (t - p) : p + strlen(p);
			appendStringInfoString(&buf, "$$" MASKED "$$");
		}
		else if (ident_char(*p) && !isdigit((unsigned char) *p))
		{
			char		word[NAMEDATALEN];

			while (ident_char(*p))
				p++;
			if ((p - start >= 4 && pg_strncasecmp(start, "jwt_", 4) == 0) ||
				(p - start < NAMEDATALEN &&
				 (strlcpy(word, start, p - start + 1),
				  ScanKeywordLookup(word, &ScanKeywords) >= 0)))
				appendBinaryStringInfo(&buf, start, p - start);
			else
				appendStringInfoString(&buf, MASKED);
		}
		else if (isdigit((unsigned char) *p) ||
				 (*p == '.' && isdigit((unsigned char) p[1])))
		{
			/* not a $: "1$q$...$q$" is a number and a string */
			while ((ident_char(*p) && *p != '$') || *p == '.' ||
				   ((*p == '+' || *p == '-') && (p[-1] == 'e' || p[-1] == 'E')))
				p++;
			appendStringInfoString(&buf, MASKED);
		}
		else
			appendStringInfoChar(&buf, *p++);
	}
	return buf.data;
}

/*
 * The memory context of edata's strings, and a string field of it freed
 * and cleared: they are ErrorContext's, which only an error empties, so
 * what the log hook replaces in a message that is not an error would stay
 * there for the session.
 */
static MemoryContext
edata_context(const ErrorData *edata)
{
	return edata->assoc_context ? edata->assoc_context : ErrorContext;
}

static void
clear_field(char **field)
{
	if (*field != NULL)
		pfree(*field);
	*field = NULL;
}

/*
 * Replace edata's message by its first "keep" bytes, "sep" and "tail", in
 * the message's context (the old text is freed).
 */
static void
replace_message_tail(ErrorData *edata, int keep, const char *sep,
					 const char *tail)
{
	char	   *old = edata->message;
	MemoryContext cxt = MemoryContextSwitchTo(edata_context(edata));

	edata->message = psprintf("%.*s%s%s", keep, old, sep, tail);
	MemoryContextSwitchTo(cxt);
	pfree(old);
}

/*
 * The lexer's and the grammar's errors quote the text where they stopped:
 * "syntax error at or near "'<a key>'"" (a missing comma after it),
 * "unterminated quoted string at or near "'<the rest of the statement>"".
 * In a statement that names the extension, the quote goes, for the log
 * and the client (which has the statement, and the error's position);
 * errhidestmt only keeps the statement out.  So it does when the query
 * that failed to parse is an inner one that names it (a dynamic query of
 * PL/pgSQL's EXECUTE, a function body compiled at its first call): the
 * statement need not name it, and the inner query's text, which the
 * caller may never have seen, is hidden with the QUERY line
 * (jwt_leader_log_hook's names_jwt).
 */
#define SYNTAX_NOT_QUOTED " (the text there is not shown: the statement names the jwt extension)"

static void
hide_syntax_error(ErrorData *edata, bool names_jwt)
{
	const char *near;
	char	   *old = edata->message;

	if (!names_jwt || edata->sqlerrcode != ERRCODE_SYNTAX_ERROR || old == NULL ||
		edata->message_id == NULL ||
		strcmp(edata->message_id, "%s at or near \"%s\"") != 0)
		return;
	near = strstr(old, " at or near \"");
	if (near != NULL && strcmp(dgettext(edata->domain, edata->message_id), edata->message_id) == 0)
		replace_message_tail(edata, (int) (near - old), "", SYNTAX_NOT_QUOTED);
	else
		replace_message_tail(edata, 0, "", "syntax error" SYNTAX_NOT_QUOTED);
}

/*
 * A line of a memory context dump that pg_log_backend_memory_contexts
 * writes to the log, "level: N; <name>: <statistics>: <identifier>": the
 * identifier of a cached plan (CachedPlanSource, CachedPlan, and from
 * PostgreSQL 18 CachedPlan PlannedStmts) is its query text, its first 100
 * bytes: a PREPARE, a client's prepared statement, or one expression of a
 * PL/pgSQL function (k := k || '<a secret>'), which need not name the
 * extension though the function does.  Those are always
 * masked as a statement is; another context's identifier (a function's
 * name, a portal's) when it names the extension.  A dump made on running
 * out of memory goes to stderr, out of the hook's reach.
 */
#define MEMORY_DUMP_FORMAT "level: %d; %s: %s%s"

static void
hide_context_ident(ErrorData *edata)
{
	char	   *old = edata->message;
	const char *name;
	const char *ident;
	char	   *masked;

	if (old == NULL || edata->message_id == NULL ||
		strcmp(edata->message_id, MEMORY_DUMP_FORMAT) != 0 ||
		(name = strstr(old, "; ")) == NULL ||
		(ident = strstr(old, " used: ")) == NULL)
		return;
	name += 2;
	ident += strlen(" used: ");
	if (strncmp(name, "CachedPlan", 10) != 0 &&
		!mentions_jwt(ident) && !executes_jwt(ident, true))
		return;
	masked = mask_statement(ident);
	replace_message_tail(edata, (int) (ident - old), "",
						 masked ? masked : STATEMENT_NOT_LOGGED);
	if (masked != NULL)
		pfree(masked);
}

/*
 * A statement logging message of a statement that names one of the
 * extension's functions (or a query of it, in auto_explain's plan of a
 * nested statement): the statement, the plan and the parameters are cut
 * from the message, which keeps its kind and duration.  Such a statement
 * carries the tokens and keys the client wrote into it or bound to it.
 */
static void
hide_statement_log(ErrorData *edata)
{
	int			i;
	int			colons = -2;
	const char *cut;
	char	   *old;
	char	   *masked;
	size_t		mlen;
	size_t		qlen;

	if (edata->message_id == NULL || edata->message == NULL)
		return;
	for (i = 0; i < lengthof(statement_logs); i++)
		if (strcmp(edata->message_id, statement_logs[i].format) == 0)
			colons = statement_logs[i].colons;
	if (colons == -2)
		return;
	if (!mentions_jwt(debug_query_string) && !mentions_jwt(edata->message) &&
		!mentions_jwt(edata->detail) && !executes_jwt(debug_query_string, false))
		return;

	clear_field(&edata->detail);
	clear_field(&edata->detail_log);
	if (colons == 0)
		return;
	old = edata->message;
	mlen = strlen(old);
	qlen = debug_query_string ? strlen(debug_query_string) : 0;
	masked = NULL;
	if (colons > 0 && qlen > 0 && qlen <= mlen &&
		strcmp(old + mlen - qlen, debug_query_string) == 0)
	{
		/*
		 * The statement is the message's last %s, in every language; a
		 * prepared statement's name before it may hold ": " or a quote.
		 */
		cut = old + mlen - qlen;
		masked = mask_statement(cut);
	}
	else if (strcmp(dgettext(edata->domain, edata->message_id), edata->message_id) != 0)
		cut = old;				/* translated: where its ": " are is unknown */
	else if (colons < 0)
	{
		cut = strstr(old, "  plan:");
		cut = cut ? cut + 7 : old;
	}
	else
	{
		cut = old;
		while (colons-- > 0 && (cut = strstr(cut, ": ")) != NULL)
			cut += 2;
		if (cut == NULL)
			cut = old;
	}
	replace_message_tail(edata, (int) (cut - old),
						 cut > old && cut[-1] != ' ' ? " " : "",
						 masked ? masked : STATEMENT_NOT_LOGGED);
	if (masked != NULL)
		pfree(masked);
}

/*
 * The detail "Failing row contains (...)" of a NOT NULL or CHECK violation
 * (ExecConstraints, in execMain.c) shows the row, for the client and the
 * log: for jwt_keys (private keys, HMAC secrets) and refresh_tokens (retry
 * keys) the tables' triggers prevent it with errors of their own, but not
 * when a restore disables them.  The detail is dropped.  Only when the
 * hook runs: the error goes to the server log, in a backend that has
 * loaded the library.
 */
static void
hide_failing_row(ErrorData *edata)
{
	if (edata->detail != NULL && edata->table_name != NULL &&
		(edata->sqlerrcode == ERRCODE_NOT_NULL_VIOLATION ||
		 edata->sqlerrcode == ERRCODE_CHECK_VIOLATION) &&
		edata->filename != NULL && strcmp(edata->filename, "execMain.c") == 0 &&
		(strcmp(edata->table_name, "jwt_keys") == 0 ||
		 strcmp(edata->table_name, "refresh_tokens") == 0))
	{
		edata->detail = NULL;
		edata->detail_log = NULL;
	}
}

/*
 * PostgreSQL's detail of a data exception or of a constraint's violation
 * may quote the values it refused: jsonb's input error says "Token "<the
 * rest of the text>" is invalid." (a truncated or mis-quoted JWK, its "d"
 * or "k" included), a NOT NULL or CHECK violation "Failing row contains
 * (...)" (a key jwt_generate_key made, inserted into a table of the
 * user's), a unique violation "Key (...)=(<a token>) already exists".  In
 * a statement that names the extension the statement and the context
 * lines are kept out of the log already; such a detail (SQLSTATE classes
 * 22, 23 and 44) is replaced there by a note, and the client, which sent
 * the values or asked for them, keeps it.  Not for the extension's own
 * errors ("ours": errhidestmt), whose details never quote a key.
 */
#define VALUE_DETAIL_NOT_LOGGED "The detail is not shown in the server log: the statement names the jwt extension, and PostgreSQL's detail may quote the values it refused."

static void
hide_value_detail(ErrorData *edata, bool names_jwt, bool ours)
{
	int			category = ERRCODE_TO_CATEGORY(edata->sqlerrcode);

	if (!names_jwt || ours ||
		(category != ERRCODE_DATA_EXCEPTION &&
		 category != ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION &&
		 category != ERRCODE_WITH_CHECK_OPTION_VIOLATION) ||
		(edata->detail == NULL && edata->detail_log == NULL))
		return;
	clear_field(&edata->detail_log);
	edata->detail_log = MemoryContextStrdup(edata_context(edata), VALUE_DETAIL_NOT_LOGGED);
}

/* ------------------------------------------------------------------ COPY */

static ProcessUtility_hook_type prev_copy_utility = NULL;

/*
 * The table a COPY FROM of jwt_copy_utility is loading, while it runs:
 * the log hook rewrites the context of every message raised meanwhile
 * that is not an ERROR (those the hook rewrites when they unwind): a lock
 * wait's LOG, a WARNING of a trigger, and a FATAL (a terminated backend),
 * which never unwinds.
 */
static const char *copy_secret_active = NULL;

/*
 * PostgreSQL's messages of a failed COPY that quote nothing of the row
 * (their formats, untranslated): they stay as they are.
 */
static const char *const copy_safe_messages[] = {
	"missing data for column \"%s\"",
	"extra data after last expected column",
	"unterminated CSV quoted field",
	"literal carriage return found in data",
	"literal newline found in data",
	"end-of-copy marker corrupt",
	"row field count is %d, expected %d",
};

/*
 * Rewrite an error raised while COPY loaded jwt_keys or refresh_tokens
 * ("table"), which PostgreSQL words with the row in it: COPY's context
 * line quotes the first 100 bytes of the line it was loading ("COPY
 * jwt_keys, line 1: "<kid> <alg> {"d": "<the private key>"..."", on any
 * error: a restore into a database that has the key, a duplicate kid),
 * other context lines may quote a value (jsonb's "JSON data, line 1:
 * ..."), and so may the detail ("Token "..." is invalid") and the message
 * (a type's input error when a load's columns do not line up: "invalid
 * input syntax for type timestamp with time zone: "<a key>""; a header
 * that does not match).  In every language and encoding, so the words are
 * not looked at, only what raised them: the context becomes "COPY
 * <table>"; for an error of PostgreSQL's (not the extension's own, which
 * errhidestmt marks and which name a kid at most), a data exception's
 * detail goes and its message is replaced when its format quotes a string
 * (but the few formats above), with the SQLSTATE in it; a unique
 * violation keeps a short detail (the kid, a token's hash) and a NOT NULL
 * or CHECK violation loses its failing row; other errors (a missing
 * table, a file that cannot be opened, a deadlock) keep their words.  The
 * SQLSTATE stays.
 */
static void
hide_copy_error(ErrorData *edata, const char *table)
{
	/*
	 * No context: raised before COPY read a line (its options, its file),
	 * since COPY's own context callback runs while it loads: nothing of
	 * the data to hide, and the words say what was wrong (COPY format
	 * "nonsense" not recognized).  Run from a function, such an error has
	 * the function's context and is rewritten as the others.
	 */
	if (edata->context == NULL)
		return;
	edata->context = psprintf("COPY %s", table);
	edata->internalquery = NULL;	/* a trigger's dynamic query */
	edata->internalpos = 0;
	hide_failing_row(edata);
	if (edata->hide_stmt)
		return;					/* the extension's */
	if (edata->sqlerrcode == ERRCODE_UNIQUE_VIOLATION &&
		edata->detail != NULL && strlen(edata->detail) > 120)
	{
		edata->detail = NULL;
		edata->detail_log = NULL;
	}
	if (ERRCODE_TO_CATEGORY(edata->sqlerrcode) != ERRCODE_DATA_EXCEPTION)
		return;
	edata->detail = NULL;
	edata->detail_log = NULL;
	if (edata->message_id == NULL || strstr(edata->message_id, "\"%") != NULL)
	{
		for (int i = 0; i < lengthof(copy_safe_messages); i++)
			if (edata->message_id != NULL &&
				strcmp(edata->message_id, copy_safe_messages[i]) == 0)
				return;
		edata->message_id = "COPY refused a value for table \"%s\" (%s)";
		edata->message = psprintf("COPY refused a value for table \"%s\" (%s)",
								  table, unpack_sql_state(edata->sqlerrcode));
		edata->detail = pstrdup("PostgreSQL's message quoted the value, which may hold a key; the error code in parentheses says what was wrong with it.");
	}
}

/* The table a COPY FROM loads, when it is jwt_keys or refresh_tokens */
static const char *
copy_secret_table(Node *stmt)
{
	const char *name;

	if (!IsA(stmt, CopyStmt) || !((CopyStmt *) stmt)->is_from ||
		((CopyStmt *) stmt)->relation == NULL)
		return NULL;
	name = ((CopyStmt *) stmt)->relation->relname;
	if (strcmp(name, "jwt_keys") == 0 || strcmp(name, "refresh_tokens") == 0)
		return name;
	return NULL;
}

/*
 * COPY FROM into a table named jwt_keys or refresh_tokens (in any schema:
 * hiding another table's values costs nothing but a message), however it
 * is run (psql's \copy, pg_restore, a function's EXECUTE): its errors are
 * rewritten by hide_copy_error before anything sees them, the server log,
 * the client, or a PL/pgSQL handler reading PG_EXCEPTION_CONTEXT.
 */
static void
jwt_copy_utility(PlannedStmt *pstmt, const char *queryString,
				 bool readOnlyTree, ProcessUtilityContext context,
				 ParamListInfo params, QueryEnvironment *queryEnv,
				 DestReceiver *dest, QueryCompletion *qc)
{
	ProcessUtility_hook_type next = prev_copy_utility ?
		prev_copy_utility : standard_ProcessUtility;
	const char *volatile table = copy_secret_table(pstmt->utilityStmt);
	MemoryContext cxt = CurrentMemoryContext;

	note_execute(pstmt->utilityStmt);
	note_cursor(pstmt->utilityStmt, queryString);
	if (table == NULL)
	{
		next(pstmt, queryString, readOnlyTree, context, params, queryEnv,
			 dest, qc);
		return;
	}
	PG_TRY();
	{
		if (copy_secret_active == NULL)
			copy_secret_active = table;
		next(pstmt, queryString, readOnlyTree, context, params, queryEnv,
			 dest, qc);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		if (copy_secret_active == table)
			copy_secret_active = NULL;
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		hide_copy_error(edata, table);
		ReThrowError(edata);
	}
	PG_END_TRY();
	if (copy_secret_active == table)
		copy_secret_active = NULL;
}

/*
 * A message other than an ERROR raised while a COPY FROM loads jwt_keys
 * or refresh_tokens (copy_secret_active): its context quotes the line
 * being loaded, as an error's does, and becomes "COPY <table>" for the log
 * and the client; a query a trigger ran goes too.
 */
static void
hide_copy_message(ErrorData *edata)
{
	MemoryContext cxt;

	if (copy_secret_active == NULL || edata->elevel == ERROR)
		return;
	cxt = MemoryContextSwitchTo(edata_context(edata));
	clear_field(&edata->context);
	clear_field(&edata->internalquery);
	edata->context = psprintf("COPY %s", copy_secret_active);
	edata->internalpos = 0;
	MemoryContextSwitchTo(cxt);
}

/*
 * emit_log_hook: hide the statement and context of an error a worker
 * marked, the statement of an error refusing to run one of the
 * extension's functions and of any message of a statement naming one;
 * keep the queries of a deadlock report out of the log when one calls the
 * extension.
 *
 * A statement naming one of the functions carries the tokens and keys a
 * client wrote into it, and PostgreSQL raises some errors before or around
 * the call, where no error context callback of ours runs: a transaction
 * already aborted (25P02), no function for these argument types (42883), a
 * division by zero elsewhere in the query.  So is a warning, when
 * log_min_error_statement is lowered.  The query PL/pgSQL (or SPI) ran,
 * which the log prints as QUERY, and the context lines, which may quote
 * it, go too when any of the three names the extension: a dynamic query
 * need not name it in the statement.  So do they when the statement, the
 * query or the context EXECUTEs a prepared statement that names it
 * (executes_jwt), or the statement did (note_execute).
 *
 * A second jwt_authenticate in a transaction whose first one switched to a
 * role without EXECUTE on it is refused by the executor (42501) before it
 * can say that claims are already established (55000): the error is made
 * the one jwt_authenticate raises, whatever role the transaction is in.
 * The hook runs when the error goes to the server log (log_min_messages
 * at error or below, the default); otherwise the client gets the 42501.
 */
static void
jwt_leader_log_hook(ErrorData *edata)
{
	bool		names_jwt;
	bool		ours = edata->hide_stmt;	/* jwt_ereport's errhidestmt */

	if (edata->context != NULL && strstr(edata->context, JWT_WORKER_CONTEXT) != NULL)
	{
		edata->hide_stmt = true;
		edata->hide_ctx = true;
	}
	names_jwt = mentions_jwt(debug_query_string) || mentions_jwt(edata->internalquery) ||
		mentions_jwt(edata->context) || executes_jwt(debug_query_string, false) ||
		executes_jwt(edata->internalquery, false) || executes_jwt(edata->context, false) ||
		fetches_jwt();
	if (names_jwt)
	{
		edata->hide_stmt = true;
		edata->hide_ctx = true;
		clear_field(&edata->internalquery);	/* no hiding flag of its own */
	}
	if (deadlock_quotes_jwt(edata))
		edata->detail_log = NULL;	/* the log gets the detail instead */
	hide_statement_log(edata);
	hide_failing_row(edata);
	hide_copy_message(edata);
	hide_value_detail(edata, names_jwt, ours);

	/*
	 * The postmaster's report of a backend that died: "Failed process was
	 * running: <its statement>", which may hold a token or key.  (Not a
	 * single-user backend, whose errors' details its user reads.)
	 */
	if (IsPostmasterEnvironment && !IsUnderPostmaster &&
		(mentions_jwt(edata->detail) || executes_jwt(edata->detail, true) ||
		 quotes_cut_query(edata->detail, true)))
		edata->detail = NULL;
	hide_syntax_error(edata, names_jwt);
	hide_context_ident(edata);
	if (execute_refused(edata))
	{
		edata->hide_stmt = true;
		if (jwt_claims_established() &&
			(strstr(edata->message, "jwt_authenticate") != NULL ||
			 strstr(edata->message, "jwt_registry_authenticate") != NULL))
		{
			MemoryContext cxt = edata_context(edata);

			edata->sqlerrcode = ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE;
			edata->message_id = JWT_ALREADY_ESTABLISHED_MSG;
			edata->message = MemoryContextStrdup(cxt, JWT_ALREADY_ESTABLISHED_MSG);
			edata->detail = MemoryContextStrdup(cxt, JWT_ALREADY_ESTABLISHED_DETAIL);
			edata->hint = MemoryContextStrdup(cxt, JWT_ALREADY_ESTABLISHED_HINT);
		}
	}
	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
}

void
jwt_errors_init(void)
{
	prev_emit_log_hook = emit_log_hook;
	emit_log_hook = jwt_leader_log_hook;
	prev_copy_utility = ProcessUtility_hook;
	ProcessUtility_hook = jwt_copy_utility;
}

/*
 * The code points that a terminal, a log viewer or an editor may act on,
 * or that change what a reader sees without showing: the C0 and C1
 * controls and DEL (Cc), the line and paragraph separators (Zl, Zp), and
 * every format character (Cf, Unicode 15): the bidirectional controls,
 * which reorder text (U+061C, U+200E, U+200F, U+202A-U+202E,
 * U+2066-U+2069), and the invisible ones, which make two different values
 * look the same (U+00AD soft hyphen, U+200B-U+200D, U+2060 word joiner,
 * U+FEFF, the tag characters U+E0000-U+E007F, ...).  Sorted ranges.
 */
static const struct
{
	pg_wchar	first;
	pg_wchar	last;
}			escaped_code_points[] = {
	{0x0000, 0x001F},			/* C0 controls */
	{0x007F, 0x009F},			/* DEL, C1 controls */
	{0x00AD, 0x00AD},			/* soft hyphen */
	{0x0600, 0x0605},			/* Arabic number signs */
	{0x061C, 0x061C},			/* Arabic letter mark */
	{0x06DD, 0x06DD},
	{0x070F, 0x070F},
	{0x0890, 0x0891},
	{0x08E2, 0x08E2},
	{0x180E, 0x180E},			/* Mongolian vowel separator */
	{0x200B, 0x200F},			/* zero width space, (non-)joiner, LRM, RLM */
	{0x2028, 0x202E},			/* line and paragraph separators, embeddings
								 * and overrides */
	{0x2060, 0x206F},			/* word joiner, invisible operators,
								 * isolates, deprecated format characters */
	{0xFEFF, 0xFEFF},			/* zero width no-break space (BOM) */
	{0xFFF9, 0xFFFB},			/* interlinear annotation */
	{0x110BD, 0x110BD},
	{0x110CD, 0x110CD},
	{0x13430, 0x1343F},			/* Egyptian hieroglyph format controls */
	{0x1BCA0, 0x1BCA3},			/* shorthand format controls */
	{0x1D173, 0x1D17A},			/* musical symbol format controls */
	{0xE0000, 0xE007F},			/* tags */
};

static bool
escaped_code_point(pg_wchar c)
{
	int			i;

	for (i = 0; i < lengthof(escaped_code_points); i++)
	{
		if (c < escaped_code_points[i].first)
			return false;
		if (c <= escaped_code_points[i].last)
			return true;
	}
	return false;
}

/*
 * Is the character of "len" bytes at "s" (in the database encoding) one
 * to escape?  Decided by its code point (escaped_code_points), which the
 * character is converted to whatever the encoding: LRM is the byte 0xFD
 * in WIN1255, WIN1256 and ISO_8859_8, and a soft hyphen 0xAD in most
 * single-byte encodings.  Also escaped: in single-byte encodings every
 * byte 0x80-0x9F, which a terminal reading Latin-1 takes for the C1
 * controls (0x9B is CSI, like ESC [), whatever character it is in the
 * database encoding; and a character whose code point is unknown (no
 * conversion to Unicode: MULE_INTERNAL).  Sets *cp to the code point to
 * print, or to -1 when the bytes are to be printed.  "encoding" is the one
 * the characters are split by (UTF-8 for SQL_ASCII).
 */
static bool
needs_escape(const unsigned char *s, int len, int encoding, long *cp)
{
	pg_wchar	c;

	*cp = -1;
	if (len == 1 && s[0] < 0x80)
		return s[0] < 0x20 || s[0] == 0x7f;
	if (len == 1 && s[0] <= 0x9f && pg_encoding_max_length(encoding) == 1)
		return true;
	if (!jwt_server_char_code_point(s, len, &c))
		return true;
	if (escaped_code_point(c))
	{
		*cp = c;
		return true;
	}
	return false;
}

/*
 * Append "s", a value taken from a token (or from a claim, a key, a role
 * name that a token chose), to "buf" for quoting in a message or the log:
 * at most "maxbytes" of its bytes, cut on a character boundary (the result
 * says whether it was cut, for the caller to add "..."); double quotes and
 * backslashes preceded by a backslash; the characters of needs_escape()
 * written as \xHH (each byte), \uHHHH or \UHHHHHHHH (the code point, as in
 * E'' strings), so that a value can neither end its quotes, nor forge a
 * log line, nor send a terminal escape sequence to whoever reads the
 * message, nor look like another value.
 * "s" is in the database encoding; a byte sequence that is not a whole
 * character of it is escaped byte by byte.
 */
bool
jwt_append_quoted_value(StringInfo buf, const char *s, int maxbytes)
{
	int			encoding = GetDatabaseEncoding();
	/* characters as they are split: SQL_ASCII strings from tokens are UTF-8 */
	int			chars = encoding == PG_SQL_ASCII ? PG_UTF8 : encoding;
	int			len = strlen(s);
	int			clip = len;
	int			i = 0;

	if (len > maxbytes)
		clip = pg_mbcliplen(s, len, maxbytes);
	while (i < clip)
	{
		const unsigned char *c = (const unsigned char *) s + i;
		int			l = *c < 0x80 ? 1 : pg_encoding_mblen(chars, (const char *) c);
		long		cp;

		if (l < 1 || l > clip - i ||
			pg_encoding_verifymbchar(chars, (const char *) c, l) != l)
			l = 1;
		if (*c == '"' || *c == '\\')
		{
			appendStringInfoChar(buf, '\\');
			appendStringInfoChar(buf, (char) *c);
		}
		else if (needs_escape(c, l, chars, &cp))
		{
			int			j;

			if (cp > 0xFFFF)
				appendStringInfo(buf, "\\U%08lX", cp);
			else if (cp >= 0)
				appendStringInfo(buf, "\\u%04lX", cp);
			else
				for (j = 0; j < l; j++)
					appendStringInfo(buf, "\\x%02x", c[j]);
		}
		else
			appendBinaryStringInfo(buf, (const char *) c, l);
		i += l;
	}
	return clip < len;
}

/*
 * jwt_append_quoted_value() into a new string, for an error detail:
 * "Claim \"sub\" is \"%s\"" with jwt_clip(sub, 64).
 */
const char *
jwt_clip(const char *s, int maxbytes)
{
	StringInfoData buf;

	initStringInfo(&buf);
	if (jwt_append_quoted_value(&buf, s, maxbytes))
		appendStringInfoString(&buf, "...");
	return buf.data;
}

/*
 * A NULL in a NOT NULL column of "tup", for a BEFORE ROW trigger of a
 * table that holds secrets: refused with PostgreSQL's message and SQLSTATE
 * (23502) before the executor's own check, whose detail ("Failing row
 * contains (...)") shows the row's values, secrets included, to the client
 * and in the server log.  "detail" replaces that detail.
 */
void
jwt_refuse_nulls(Relation rel, HeapTuple tup, const char *detail)
{
	TupleDesc	desc = RelationGetDescr(rel);

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attnotnull && !att->attisdropped &&
			heap_attisnull(tup, i + 1, desc))
			jwt_ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("null value in column \"%s\" of relation \"%s\" violates not-null constraint",
							NameStr(att->attname), RelationGetRelationName(rel)),
					 errdetail_internal("%s", detail),
					 errtablecol(rel, i + 1)));
	}
}

/*
 * A text column of one of the extension's tables that its queries compare
 * by value (a subject, a jti, a device), given a nondeterministic
 * collation by its owner: "Alice" would find "alice".  0A000, as
 * PostgreSQL refuses what such collations cannot do.
 */
void
jwt_check_deterministic(const char *table, const char *column, Oid collid)
{
	if (OidIsValid(collid) && !get_collation_isdeterministic(collid))
		jwt_ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("column \"%s\" of table %s has a nondeterministic collation",
						column, table),
				 errdetail("The extension tells values apart byte by byte; collation \"%s\" would take one for another.",
						   get_collation_name(collid)),
				 errhint("Give the column a deterministic collation again.")));
}

/*
 * A column of one of the extension's tables ("table") that its owner
 * changed with ALTER TABLE to type "have", where the extension reads type
 * "want" (42804): refused rather than misread.
 */
void
jwt_column_type_error(const char *table, const char *column, Oid have,
					  Oid want)
{
	jwt_ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("column \"%s\" of %s is of type %s, not %s",
					column, table, format_type_be(have), format_type_be(want)),
			 errdetail("The table was altered; the extension reads it as it created it.")));
}
