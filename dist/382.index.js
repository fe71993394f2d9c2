export const id = 382;
export const ids = [382];
export const modules = {

/***/ 1382:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   checkShadow: () => (/* binding */ checkShadow),
/* harmony export */   onShadowCopy: () => (/* binding */ onShadowCopy),
/* harmony export */   runOnShadow: () => (/* binding */ runOnShadow)
/* harmony export */ });
/* unused harmony exports judge, shadowRefusal, dumpForDriver, ShadowFailed */
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(452);
/* harmony import */ var _migrations_failure_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(4563);
/* harmony import */ var _describe_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(5427);
/* harmony import */ var _locks_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(3924);
/**
 * The shadow run (input shadow-database-url): the target's schema is copied into an empty throwaway
 * database, and the pending statements run there one by one as the deploy would run them, each checked
 * against what the review predicted: the locks it really took (pg_locks, read inside its transaction
 * before it commits) and whether it rewrote its table (relfilenode before and after).
 *
 * The copy is committed (its own locks must be gone before the first statement is watched), so the
 * shadow is emptied at the end whatever happened. A lock that an earlier statement of the same
 * transaction already holds cannot be seen again, and what runs outside a transaction (CREATE INDEX
 * CONCURRENTLY, VACUUM) keeps its locks only while it runs: their verdict is "not observed", with why.
 */




/** Locks that block no reader or writer: taken on a table the review did not name, they are no mismatch. */
const NOT_BLOCKING = ['AccessShareLock', 'RowShareLock', 'RowExclusiveLock'];
function strongest(modes) {
    let best;
    for (const mode of modes)
        if (best === undefined || _locks_js__WEBPACK_IMPORTED_MODULE_2__/* .LOCK_MODES */ .bx.indexOf(mode) > _locks_js__WEBPACK_IMPORTED_MODULE_2__/* .LOCK_MODES */ .bx.indexOf(best))
            best = mode;
    return best;
}
const rank = (mode) => _locks_js__WEBPACK_IMPORTED_MODULE_2__/* .LOCK_MODES */ .bx.indexOf(mode);
/**
 * The verdict on one statement from what the catalog said before and after it ran: each predicted lock
 * taken at the predicted strength (no stronger, no weaker), no unpredicted lock that blocks the
 * application on a table that existed before, and the statement's own table rewritten exactly when
 * predicted. A lock the session held before the statement cannot be seen again: not observed. Pure.
 */
function judge(statement, before, after) {
    const fresh = (oid) => [...(after.locks.get(oid) ?? [])].filter((mode) => !before.locks.get(oid)?.has(mode));
    const problems = [];
    const hidden = [];
    const took = new Map();
    const predicted = new Map();
    const nameOf = (oid) => predicted.get(oid)?.relation ?? before.tables.get(oid)?.name ?? after.tables.get(oid)?.name ?? `relation ${oid}`;
    statement.locks.forEach((lock, i) => {
        const oid = before.named[i] ?? after.named[i];
        if (oid === undefined)
            return; // a relation that does not exist before or after (DROP … IF EXISTS)
        predicted.set(oid, { relation: lock.relation, mode: lock.mode });
        const taken = strongest(fresh(oid));
        if (taken !== undefined)
            took.set(oid, taken);
        if (taken !== undefined && rank(taken) > rank(lock.mode))
            problems.push(`took ${(0,_locks_js__WEBPACK_IMPORTED_MODULE_2__/* .lockName */ .l4)(taken)} on ${lock.relation}, stronger than the predicted ${(0,_locks_js__WEBPACK_IMPORTED_MODULE_2__/* .lockName */ .l4)(lock.mode)}`);
        else if (taken === lock.mode)
            return;
        else if ([...(before.locks.get(oid) ?? [])].some((mode) => rank(mode) >= rank(lock.mode)))
            hidden.push(lock.relation);
        else
            problems.push(`took ${taken === undefined ? 'no lock' : `only ${(0,_locks_js__WEBPACK_IMPORTED_MODULE_2__/* .lockName */ .l4)(taken)}`} on ${lock.relation}, where ${(0,_locks_js__WEBPACK_IMPORTED_MODULE_2__/* .lockName */ .l4)(lock.mode)} was predicted`);
    });
    for (const [oid, relation] of before.tables) {
        if (predicted.has(oid))
            continue;
        const taken = strongest(fresh(oid));
        if (taken === undefined)
            continue;
        // A partition of a predicted table, or a sequence it owns, is locked with it: part of the prediction,
        // as long as the lock is no stronger than the table's.
        const owner = relation.covers.map((o) => predicted.get(o)).find((p) => p !== undefined);
        if (owner) {
            if (rank(taken) > rank(owner.mode))
                problems.push(`took ${(0,_locks_js__WEBPACK_IMPORTED_MODULE_2__/* .lockName */ .l4)(taken)} on ${relation.name}, a part of ${owner.relation}, stronger than the predicted ${(0,_locks_js__WEBPACK_IMPORTED_MODULE_2__/* .lockName */ .l4)(owner.mode)}`);
            continue;
        }
        took.set(oid, taken);
        if (!NOT_BLOCKING.includes(taken))
            problems.push(`also took ${(0,_locks_js__WEBPACK_IMPORTED_MODULE_2__/* .lockName */ .l4)(taken)} on ${nameOf(oid)}, which was not predicted`);
    }
    const rewritten = [...before.tables].filter(([oid, table]) => after.tables.has(oid) && after.tables.get(oid).file !== table.file).map(([oid]) => oid);
    const own = statement.table === undefined ? undefined : before.named[statement.locks.findIndex((l) => l.relation === statement.table)];
    if (own !== undefined && before.tables.has(own) && after.tables.has(own)) {
        // A partitioned table has no storage of its own: its partitions are what is rewritten.
        const did = rewritten.some((oid) => oid === own || before.tables.get(oid).covers.includes(own));
        if (did !== statement.rewrites)
            problems.push(did ? `rewrote ${statement.table}, which was not predicted` : `did not rewrite ${statement.table}, where a rewrite was predicted`);
    }
    const observed = [
        took.size === 0 ? 'no new table lock' : [...took].map(([oid, mode]) => `${(0,_locks_js__WEBPACK_IMPORTED_MODULE_2__/* .lockName */ .l4)(mode)} on ${nameOf(oid)}`).join(', '),
        ...(rewritten.length > 0 ? [`rewrote ${rewritten.map(nameOf).join(', ')}`] : []),
    ].join('; ');
    if (problems.length > 0)
        return { verdict: { kind: 'mismatch', detail: problems.join('; ') }, observed };
    if (hidden.length > 0) {
        return { verdict: { kind: 'not observed', why: `an earlier statement of its transaction already holds the lock on ${hidden.join(', ')}` }, observed };
    }
    return { verdict: { kind: 'confirmed' }, observed };
}
async function identity(client, which) {
    try {
        const { rows } = await client.query(`SELECT (SELECT system_identifier::text FROM pg_control_system()) AS system,
              (SELECT oid::int FROM pg_database WHERE datname = current_database()) AS database,
              current_setting('server_version_num')::int AS version`);
        return rows[0];
    }
    catch (error) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .UserError */ .yo(`The ${which} database's identity (pg_control_system()'s system identifier) cannot be read (${(0,_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .messageOf */ .bD)(error)}), so the shadow cannot be told from the target; ` +
            'GRANT EXECUTE ON FUNCTION pg_control_system() to the role, or leave shadow-database-url empty. Nothing was changed.');
    }
}
/**
 * Why `shadow` may not serve as the shadow of `target`: the same database (by identity, not URL), another
 * major version, or not empty (`objects` is what is in it); undefined when it may. Pure.
 */
function shadowRefusal(target, shadow, objects) {
    if (target.system === shadow.system && target.database === shadow.database) {
        return ('Input shadow-database-url points at the target database itself (the same server and database, by system identifier and database oid), ' +
            "and the shadow run would change it; point shadow-database-url at an empty throwaway database, e.g. the job's postgres service. Nothing was changed.");
    }
    const major = (v) => Math.floor(v / 10_000);
    if (major(target.version) !== major(shadow.version)) {
        return (`The shadow database runs PostgreSQL ${major(shadow.version)} and the target ${major(target.version)}: locks and rewrites seen on another major version prove nothing about the target's; ` +
            `give shadow-database-url a PostgreSQL ${major(target.version)} database (e.g. a postgres:${major(target.version)} service). Nothing was changed.`);
    }
    if (objects.length > 0) {
        return (`The shadow database is not empty (it has ${objects.join(', ')}${objects.length === 5 ? ', …' : ''}); the shadow run copies the target's schema into an empty database and empties it again afterwards, ` +
            'so it refuses one with anything in it. Point shadow-database-url at an empty database, or drop what is in it. Nothing was changed.');
    }
    return undefined;
}
/** Up to 5 objects of the shadow database that make it not empty (a fresh database has none). */
async function objectsIn(client) {
    const { rows } = await client.query(`
    SELECT what FROM (
      SELECT format('%s %s', CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence'
                                            WHEN 'f' THEN 'foreign table' WHEN 'c' THEN 'type' ELSE 'table' END, c.oid::regclass) AS what
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_' AND c.relkind NOT IN ('i', 'I', 't')
      UNION ALL
      SELECT format('schema %I', nspname) FROM pg_namespace WHERE nspname NOT IN ('information_schema', 'public') AND nspname !~ '^pg_'
      UNION ALL
      SELECT format('function %s', p.oid::regprocedure) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
      UNION ALL
      SELECT format('type %s', t.oid::regtype) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
       WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_' AND t.typtype IN ('b', 'd', 'e', 'r') AND t.typelem = 0
      UNION ALL
      SELECT format('extension %I', extname) FROM pg_extension WHERE extname <> 'plpgsql'
      UNION ALL
      SELECT format('event trigger %I', evtname) FROM pg_event_trigger
      UNION ALL
      SELECT format('cast (%s AS %s)', castsource::regtype, casttarget::regtype) FROM pg_cast WHERE oid >= 16384
    ) objects LIMIT 5`);
    return rows.map((r) => r.what);
}
/** Check that `shadow` may serve as the shadow of `target` (shadowRefusal); throws the reason it may not. */
async function checkShadow(target, shadow) {
    const refusal = shadowRefusal(await identity(target, 'target'), await identity(shadow, 'shadow'), await objectsIn(shadow));
    if (refusal)
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .UserError */ .yo(refusal);
}
/** Settings a plain pg_dump script sets for itself (search_path to '' among them): set back after the copy. */
const DUMP_SETTINGS = [
    'statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout', 'client_encoding', 'standard_conforming_strings',
    'search_path', 'check_function_bodies', 'xmloption', 'client_min_messages', 'row_security', 'default_tablespace',
    'default_table_access_method', 'transaction_timeout',
];
/**
 * A plain schema-only dump without psql's `\restrict KEY` and `\unrestrict KEY` lines (pg_dump writes them
 * since the 2025 minor releases; they are psql's, not SQL), so that the driver can run it. Pure.
 */
function dumpForDriver(dump) {
    return dump.replace(/^\\(?:un)?restrict [A-Za-z0-9]+$/gm, '');
}
/** A pending statement failed on the copy of the target's schema: it would fail the deploy. */
class ShadowFailed extends _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .UserError */ .yo {
    /** PostgreSQL's SQLSTATE. */
    code;
    constructor(message, location, code) {
        super(message, { location });
        this.name = 'ShadowFailed';
        this.code = code;
    }
}
/**
 * Copy `dumps` (the target's schema, then any rows the work needs) into the (checked, empty) shadow, run
 * `work` with the number of tables copied, and empty the shadow again whatever happened (what could not
 * be dropped goes to onLeftover). The copy is committed: its own locks must be gone before the first
 * statement is watched.
 */
async function onShadowCopy(shadow, dumps, applySettings, onLeftover, work) {
    const saved = (await shadow.query('SELECT name, setting FROM pg_settings WHERE name = ANY($1)', [DUMP_SETTINGS])).rows;
    try {
        try {
            await shadow.query('BEGIN');
            for (const dump of dumps)
                await shadow.query(dumpForDriver(dump));
            await shadow.query('COMMIT');
        }
        catch (error) {
            await shadow.query('ROLLBACK').catch(() => undefined);
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .UserError */ .yo(`The target's schema could not be copied into the shadow database (${(0,_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .messageOf */ .bD)(error)}); the shadow's server needs the extensions the target uses, and its role the right to create them. ` +
                'Nothing was changed: the target was only read, and the shadow is empty again.');
        }
        for (const { name, setting } of saved)
            await shadow.query('SELECT set_config($1, $2, false)', [name, setting]);
        await applySettings(shadow);
        const { rows } = await shadow.query("SELECT count(*)::int AS n FROM pg_class WHERE relkind IN ('r', 'p') AND relnamespace::regnamespace::text !~ '^(pg_|information_schema)'");
        return await work(rows[0].n);
    }
    finally {
        await shadow.query('ROLLBACK').catch(() => undefined);
        const left = await emptyShadow(shadow).catch((error) => [`(it could not be emptied: ${(0,_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .messageOf */ .bD)(error)})`]);
        if (left.length > 0)
            onLeftover?.(left);
    }
}
/**
 * Copy the schema into the (checked, empty) shadow and run the reviewed statements there, one by one, as
 * the deploy would: a transactional migration in one transaction, the others a statement at a time. Each
 * statement's locks are read inside its transaction, before it commits. Throws ShadowFailed, naming the
 * file and line, when a statement fails there.
 */
async function runOnShadow(request) {
    const { shadow, reviews } = request;
    return onShadowCopy(shadow, [request.dump], request.applySettings, request.onLeftover, async (tables) => {
        const statements = [];
        const notRun = [];
        for (const [position, review] of reviews.entries()) {
            const { migration } = review;
            if (review.statements === undefined) {
                if (migration.sql === undefined) {
                    notRun.push({ migration, why: `${review.note ?? 'its SQL is known only when it runs'}: not run on the shadow` });
                    for (const later of reviews.slice(position + 1))
                        notRun.push({ migration: later.migration, why: `after ${migration.label}, which was not run on the shadow` });
                    break;
                }
                // It does not parse: the server says why, as it would in the deploy.
                await runMigrationText(shadow, migration);
                continue;
            }
            for (const result of await runMigration(shadow, migration, review.statements)) {
                statements.push(result);
                request.onStatement?.(result);
            }
        }
        return { shadow: request.shadowLabel, tables, statements, notRun };
    });
}
function control(statement) {
    if (statement.nodeKind !== 'TransactionStmt')
        return undefined;
    const kind = String(statement.node.kind);
    if (kind === 'TRANS_STMT_BEGIN' || kind === 'TRANS_STMT_START')
        return 'begin';
    if (kind === 'TRANS_STMT_COMMIT' || kind === 'TRANS_STMT_ROLLBACK')
        return 'end';
    if (kind === 'TRANS_STMT_SAVEPOINT' || kind === 'TRANS_STMT_RELEASE' || kind === 'TRANS_STMT_ROLLBACK_TO')
        return 'inside';
    return 'skip'; // PREPARE TRANSACTION, COMMIT PREPARED: they would outlive the run
}
/**
 * One migration's statements as the deploy runs them: in one transaction when the migration is
 * transactional (its own COMMIT or BEGIN honoured, as the server would), else each in a transaction of
 * its own, or outside any when PostgreSQL refuses one (CONCURRENTLY, VACUUM: not observed).
 */
async function runMigration(shadow, migration, reviewed) {
    const results = [];
    let open = migration.transaction !== false;
    if (open)
        await shadow.query('BEGIN');
    try {
        for (const [index, statement] of reviewed.entries()) {
            const line = (0,_describe_js__WEBPACK_IMPORTED_MODULE_3__/* .fileLine */ .RO)(migration, statement.line) ?? statement.line;
            const note = (why) => results.push({ migration, index, statement, verdict: { kind: 'not observed', why } });
            const kind = control(statement);
            if (kind !== undefined) {
                if (kind === 'skip')
                    note('a prepared transaction would outlive the run: not run on the shadow');
                else if (kind === 'begin' && open)
                    note('a transaction is already open here');
                else {
                    await execute(shadow, statement.sql, migration, line);
                    if (kind === 'begin')
                        open = true;
                    if (kind === 'end')
                        open = false;
                    note('transaction control');
                }
                continue;
            }
            const names = statement.locks.map((l) => l.relation);
            const alone = !open;
            if (alone)
                await shadow.query('BEGIN');
            const before = await observe(shadow, names);
            try {
                await execute(shadow, statement.sql, migration, line);
            }
            catch (error) {
                // 25001: cannot run inside a transaction block. Outside a transactional migration, the deploy runs it
                // alone: so does the shadow, without seeing its locks (they end with the statement).
                if (!(alone && error instanceof ShadowFailed && error.code === '25001'))
                    throw error;
                await shadow.query('ROLLBACK');
                await execute(shadow, statement.sql, migration, line);
                note('it runs outside a transaction, so its locks end with it');
                continue;
            }
            const after = await observe(shadow, names);
            if (alone)
                await shadow.query('COMMIT');
            const { verdict, observed } = judge(statement, before, after);
            results.push({ migration, index, statement, verdict, observed });
        }
        if (open)
            await shadow.query('COMMIT');
        return results;
    }
    catch (error) {
        await shadow.query('ROLLBACK').catch(() => undefined);
        throw error;
    }
}
/** A migration whose text does not parse: the server's own error, as the deploy would get it. */
async function runMigrationText(shadow, migration) {
    await shadow.query('BEGIN');
    try {
        await execute(shadow, migration.sql, migration, migration.sqlLine ?? 1);
        await shadow.query('COMMIT');
    }
    catch (error) {
        await shadow.query('ROLLBACK').catch(() => undefined);
        throw error;
    }
}
/** Run one statement; a failure is a ShadowFailed naming the file and line. */
async function execute(shadow, sql, migration, line) {
    try {
        await shadow.query(sql);
    }
    catch (error) {
        throw new ShadowFailed(`${migration.label}:${line} fails on a copy of the database's schema: ${(0,_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .messageOf */ .bD)(error)}. ` +
            "The deploy would fail the same way; fix the migration. Nothing was changed: the target was only read, and the shadow is empty again (it had the target's schema, not its rows, roles or database settings).", { file: migration.label, line }, (0,_migrations_failure_js__WEBPACK_IMPORTED_MODULE_1__/* .pgFields */ .LF)(error).code);
    }
}
/**
 * Drop everything in the shadow database (which was empty when the run began): other schemas, extensions,
 * event triggers, casts, then what is in public. The statements are listed first and run after, so that a
 * CASCADE that took an object before its turn leaves an IF EXISTS that finds nothing. Returns what is left.
 */
async function emptyShadow(shadow) {
    const { rows } = await shadow.query(`
    SELECT drop FROM (
      SELECT 1 AS step, format('DROP SCHEMA IF EXISTS %I CASCADE', nspname) AS drop FROM pg_namespace
       WHERE nspname NOT IN ('information_schema', 'public') AND nspname !~ '^pg_'
      UNION ALL
      SELECT 2, format('DROP EXTENSION IF EXISTS %I CASCADE', extname) FROM pg_extension WHERE extname <> 'plpgsql'
      UNION ALL
      SELECT 3, format('DROP EVENT TRIGGER IF EXISTS %I CASCADE', evtname) FROM pg_event_trigger
      UNION ALL
      SELECT 4, format('DROP CAST IF EXISTS (%s AS %s) CASCADE', castsource::regtype, casttarget::regtype) FROM pg_cast WHERE oid >= 16384
      UNION ALL
      SELECT 5, format('DROP %s IF EXISTS public.%I CASCADE', CASE relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                                                             WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'c' THEN 'TYPE' ELSE 'TABLE' END, relname)
        FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c')
      UNION ALL
      SELECT 6, format('DROP %s IF EXISTS public.%I(%s) CASCADE', CASE prokind WHEN 'a' THEN 'AGGREGATE' WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END,
                       proname, pg_get_function_identity_arguments(oid))
        FROM pg_proc WHERE pronamespace = 'public'::regnamespace
      UNION ALL
      SELECT 7, format('DROP %s IF EXISTS public.%I CASCADE', CASE typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, typname)
        FROM pg_type WHERE typnamespace = 'public'::regnamespace AND typtype IN ('b', 'd', 'e', 'r') AND typelem = 0
      UNION ALL
      SELECT 8, format('DROP COLLATION IF EXISTS public.%I CASCADE', collname) FROM pg_collation WHERE collnamespace = 'public'::regnamespace
    ) drops ORDER BY step`);
    for (const { drop } of rows)
        await shadow.query(drop);
    return objectsIn(shadow);
}
/**
 * The session's relation locks, the watched relations (tables, views, sequences, foreign tables: their
 * relfilenode, and what they belong to), and the oids of `names`, in one query.
 */
async function observe(shadow, names) {
    const { rows } = await shadow.query(`SELECT (SELECT coalesce(json_agg(json_build_array(relation::int, mode)), '[]') FROM pg_locks
              WHERE pid = pg_backend_pid() AND locktype = 'relation' AND granted
                AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) AS locks,
            (SELECT coalesce(json_agg(json_build_array(c.oid::int, c.relfilenode::text, c.oid::regclass::text,
                      CASE WHEN c.relispartition THEN (SELECT coalesce(array_agg(a.relid::int), '{}') FROM pg_partition_ancestors(c.oid) a WHERE a.relid <> c.oid)
                           WHEN c.relkind = 'S' THEN (SELECT coalesce(array_agg(d.refobjid::int), '{}') FROM pg_depend d
                                                       WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))
                           ELSE '{}' END)), '[]')
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r', 'p', 'm', 'v', 'S', 'f') AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_') AS tables,
            (SELECT coalesce(json_agg(to_regclass(name)::oid::int ORDER BY i), '[]') FROM unnest($1::text[]) WITH ORDINALITY AS n(name, i)) AS named`, [names]);
    const row = rows[0];
    const locks = new Map();
    for (const [oid, mode] of row.locks)
        (locks.get(oid) ?? locks.set(oid, new Set()).get(oid)).add(mode);
    return {
        locks,
        tables: new Map(row.tables.map(([oid, file, name, covers]) => [oid, { name, file, covers }])),
        named: row.named.map((oid) => oid ?? undefined),
    };
}


/***/ })

};
