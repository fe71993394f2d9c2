export const id = 746;
export const ids = [746];
export const modules = {

/***/ 4746:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  describeStatement: () => (/* reexport */ describe/* describeStatement */.Z),
  reviewMigrations: () => (/* binding */ reviewMigrations)
});

// EXTERNAL MODULE: ./lib/review/locks.js
var review_locks = __webpack_require__(3924);
;// CONCATENATED MODULE: ./lib/review/catalog.js

/**
 * What the catalog adds to the statements' predictions, on the run's connection (read only): the table
 * of a dropped index, the tables a dropped table's foreign keys reference (their triggers go with it),
 * and whether a column's type change rewrites the table (varchar(20) to varchar(50) does not).
 */
async function resolveWithCatalog(client, statements) {
    const resolved = [];
    for (const statement of statements) {
        const locks = [...statement.locks];
        let rewrites = statement.rewrites;
        const add = (lock) => {
            const at = locks.findIndex((l) => l.relation === lock.relation);
            if (at >= 0)
                locks[at] = { ...locks[at], mode: (0,review_locks/* stronger */.t_)(locks[at].mode, lock.mode) };
            else
                locks.push(lock);
        };
        const typeChanges = statement.pending.filter((p) => p.kind === 'column-type');
        if (typeChanges.length > 0)
            rewrites = false;
        for (const pending of statement.pending) {
            if (pending.kind === 'table-of-index') {
                const { rows } = await client.query('SELECT indrelid::regclass::text AS t FROM pg_index WHERE indexrelid = to_regclass($1)', [pending.index]);
                if (rows[0])
                    add({ relation: rows[0].t, mode: pending.mode, role: 'index table' });
            }
            else if (pending.kind === 'referenced-by') {
                const { rows } = await client.query("SELECT DISTINCT confrelid::regclass::text AS t FROM pg_constraint WHERE contype = 'f' AND conrelid = to_regclass($1) AND confrelid <> conrelid ORDER BY 1", [pending.table]);
                for (const row of rows)
                    add({ relation: row.t, mode: pending.mode, role: 'referenced' });
            }
            else {
                const { rows } = await client.query('SELECT format_type(atttypid, NULL) AS base, format_type(atttypid, atttypmod) AS full FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped', [pending.table, pending.column]);
                rewrites ||= rows[0] === undefined || typeChangeRewrites(rows[0].base, rows[0].full, pending.base, pending.mods);
            }
        }
        resolved.push({ ...statement, locks, rewrites });
    }
    return resolved;
}
/** The catalog's names of the types an AST names by their internal names. */
const CATALOG_NAMES = { varchar: 'character varying', text: 'text', numeric: 'numeric', bpchar: 'character', varbit: 'bit varying' };
/**
 * Whether changing a column of type `oldFull` (format_type, e.g. `character varying(20)`) to `newBase`
 * with `newMods` rewrites the table: not for the same type and size, a longer (or unlimited) varchar or
 * varbit, varchar to text, or a numeric with more digits and the same scale. Everything else is taken to
 * rewrite (the cautious answer). Pure.
 */
function typeChangeRewrites(oldBase, oldFull, newBase, newMods) {
    const target = CATALOG_NAMES[newBase];
    if (target === undefined)
        return true;
    const oldMods = (/\(([\d,\s]+)\)$/.exec(oldFull)?.[1] ?? '').split(',').filter((m) => m.trim() !== '').map(Number);
    if (target === 'text')
        return oldBase !== 'text' && oldBase !== 'character varying';
    if (target !== oldBase)
        return true;
    if (newMods.length === 0)
        return target === 'character';
    if (oldMods.length === 0)
        return true;
    if (target === 'character varying' || target === 'bit varying')
        return newMods[0] < oldMods[0];
    if (target === 'numeric')
        return !(newMods[0] >= oldMods[0] && (newMods[1] ?? 0) === (oldMods[1] ?? 0));
    return newMods[0] !== oldMods[0];
}

// EXTERNAL MODULE: ./lib/migrations/transaction-control.js
var transaction_control = __webpack_require__(6921);
;// CONCATENATED MODULE: ./lib/review/statements.js
/**
 * What each statement of a migration will lock, and whether it rewrites or scans the table, read with
 * PostgreSQL's own grammar (libpg-query). The lock levels are PostgreSQL's (tablecmds.c
 * AlterTableGetLockLevel, the "Explicit Locking" page), for the server version connected to, and each one
 * is checked against a real server by test/integration/review-locks.test.ts (pg_locks inside a
 * transaction, relfilenode before and after): a prediction that disagrees with the server fails it.
 *
 * Some locks need the catalog: the table of a dropped index, the tables a dropped table's foreign keys
 * reference. They are named here (`pending`) and resolved by catalog.ts when the run is connected.
 */


function nameOf(range) {
    if (!range?.relname)
        return undefined;
    return range.schemaname ? `${range.schemaname}.${range.relname}` : range.relname;
}
/** The one key of a node wrapper ({ Constraint: {...} } -> ['Constraint', {...}]). */
function unwrap(wrapper) {
    if (typeof wrapper !== 'object' || wrapper === null)
        return undefined;
    const [entry] = Object.entries(wrapper);
    return entry ? [entry[0], entry[1]] : undefined;
}
function strings(list) {
    return Array.isArray(list) ? list.map((item) => String(item.String?.sval ?? '')) : [];
}
/** Volatile defaults PostgreSQL evaluates per row (a rewrite when added with a column). */
const VOLATILE = /^(random|gen_random_uuid|uuid_generate_v[14]|clock_timestamp|timeofday|nextval|txid_current|setseed)$/i;
function isVolatile(expr) {
    let found = false;
    const visit = (value) => {
        if (found || typeof value !== 'object' || value === null)
            return;
        if (Array.isArray(value))
            return value.forEach(visit);
        const node = value;
        const call = node.FuncCall;
        if (call && VOLATILE.test(strings(call.funcname).pop() ?? ''))
            found = true;
        for (const child of Object.values(node))
            visit(child);
    };
    visit(expr);
    return found;
}
function columnFacts(def) {
    let notNull = false;
    let defaultExpr;
    let identity = false;
    let generated = false;
    let primaryOrUnique = false;
    let check = false;
    const foreign = [];
    for (const wrapper of def.constraints ?? []) {
        const constraint = (unwrap(wrapper)?.[1] ?? {});
        switch (constraint.contype) {
            case 'CONSTR_NOTNULL':
                notNull = true;
                break;
            case 'CONSTR_DEFAULT':
                defaultExpr = constraint.raw_expr;
                break;
            case 'CONSTR_IDENTITY':
                identity = true;
                break;
            case 'CONSTR_GENERATED':
                generated = true;
                break;
            case 'CONSTR_FOREIGN':
                foreign.push(constraint.pktable);
                break;
            case 'CONSTR_PRIMARY':
            case 'CONSTR_UNIQUE':
                primaryOrUnique = true;
                break;
            case 'CONSTR_CHECK':
                check = true;
                break;
        }
    }
    return { notNull, defaultExpr, identity, generated, foreign, primaryOrUnique, check };
}
/** tablecmds.c AlterTableGetLockLevel, with the effects on the table's data, for `serverVersion`. */
function alterTableCommand(cmd, serverVersion) {
    const def = cmd.def;
    const subtype = String(cmd.subtype);
    const effect = (mode, label, more = {}) => ({
        mode,
        label,
        rewrites: false,
        scans: false,
        referenced: [],
        ...more,
    });
    switch (subtype) {
        case 'AT_AddColumn': {
            const facts = columnFacts(def?.ColumnDef ?? {});
            // Since PostgreSQL 11 a constant default is stored in the catalog; a volatile one (or an identity or
            // stored generated column) fills every row.
            const rewrites = facts.identity || facts.generated || (facts.defaultExpr !== undefined && (serverVersion < 110_000 || isVolatile(facts.defaultExpr)));
            const scans = !rewrites && (facts.check || (facts.notNull && facts.defaultExpr === undefined));
            return effect('AccessExclusiveLock', 'ADD COLUMN', {
                rewrites,
                scans,
                referenced: facts.foreign,
            });
        }
        case 'AT_DropColumn':
            return effect('AccessExclusiveLock', 'DROP COLUMN');
        case 'AT_ColumnDefault':
            return effect('AccessExclusiveLock', def ? 'ALTER COLUMN … SET DEFAULT' : 'ALTER COLUMN … DROP DEFAULT');
        case 'AT_SetNotNull':
            return effect('AccessExclusiveLock', 'ALTER COLUMN … SET NOT NULL', { scans: true });
        case 'AT_DropNotNull':
            return effect('AccessExclusiveLock', 'ALTER COLUMN … DROP NOT NULL');
        case 'AT_AlterColumnType':
            // Rewrites unless the catalog shows the change is binary coercible (see catalog.ts).
            return effect('AccessExclusiveLock', 'ALTER COLUMN … TYPE', { rewrites: true });
        case 'AT_SetStatistics':
            return effect('ShareUpdateExclusiveLock', 'ALTER COLUMN … SET STATISTICS');
        case 'AT_SetStorage':
            return effect('AccessExclusiveLock', 'ALTER COLUMN … SET STORAGE');
        case 'AT_AddIndex':
        case 'AT_AddConstraint': {
            const constraint = def?.Constraint ?? {};
            const notValid = constraint.skip_validation === true;
            switch (constraint.contype) {
                case 'CONSTR_FOREIGN':
                    return effect('ShareRowExclusiveLock', `ADD FOREIGN KEY${notValid ? ' … NOT VALID' : ''}`, {
                        scans: !notValid,
                        referenced: [constraint.pktable],
                    });
                case 'CONSTR_PRIMARY':
                case 'CONSTR_UNIQUE':
                case 'CONSTR_EXCLUSION':
                    return effect('AccessExclusiveLock', `ADD ${constraint.contype === 'CONSTR_PRIMARY' ? 'PRIMARY KEY' : constraint.contype === 'CONSTR_UNIQUE' ? 'UNIQUE' : 'EXCLUDE'}`, {
                        // Built from an index that already exists (USING INDEX): no scan.
                        scans: constraint.indexname === undefined,
                    });
                case 'CONSTR_CHECK':
                    return effect('AccessExclusiveLock', `ADD CHECK${notValid ? ' … NOT VALID' : ''}`, { scans: !notValid });
                default:
                    return effect('AccessExclusiveLock', 'ADD CONSTRAINT');
            }
        }
        case 'AT_ValidateConstraint':
            return effect('ShareUpdateExclusiveLock', 'VALIDATE CONSTRAINT', { scans: true });
        case 'AT_DropConstraint':
            return effect('AccessExclusiveLock', 'DROP CONSTRAINT');
        case 'AT_ClusterOn':
        case 'AT_DropCluster':
            return effect('ShareUpdateExclusiveLock', subtype === 'AT_ClusterOn' ? 'CLUSTER ON' : 'SET WITHOUT CLUSTER');
        case 'AT_SetRelOptions':
        case 'AT_ResetRelOptions':
            // autovacuum_* and fillfactor settings: the weakest level PostgreSQL allows for them.
            return effect('ShareUpdateExclusiveLock', subtype === 'AT_SetRelOptions' ? 'SET (…)' : 'RESET (…)');
        case 'AT_EnableTrig':
        case 'AT_DisableTrig':
        case 'AT_EnableAlwaysTrig':
        case 'AT_EnableReplicaTrig':
        case 'AT_EnableTrigAll':
        case 'AT_DisableTrigAll':
        case 'AT_EnableTrigUser':
        case 'AT_DisableTrigUser':
            return effect('ShareRowExclusiveLock', 'ENABLE/DISABLE TRIGGER');
        case 'AT_SetLogged':
        case 'AT_SetUnLogged':
            return effect('AccessExclusiveLock', subtype === 'AT_SetLogged' ? 'SET LOGGED' : 'SET UNLOGGED', { rewrites: true });
        case 'AT_AttachPartition':
            // The parent takes SHARE UPDATE EXCLUSIVE since PostgreSQL 12 (ACCESS EXCLUSIVE before); the table
            // attached is locked ACCESS EXCLUSIVE and scanned for its partition constraint.
            return effect(serverVersion >= 120_000 ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock', 'ATTACH PARTITION', {
                referenced: [def?.PartitionCmd?.name ?? { relname: '' }],
            });
        case 'AT_DetachPartition':
            return effect(cmd.def && cmd.def.PartitionCmd && cmd.def.PartitionCmd.concurrent ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock', 'DETACH PARTITION');
        case 'AT_ChangeOwner':
            return effect('AccessExclusiveLock', 'OWNER TO');
        case 'AT_EnableRowSecurity':
        case 'AT_DisableRowSecurity':
        case 'AT_ForceRowSecurity':
        case 'AT_NoForceRowSecurity':
            return effect('AccessExclusiveLock', 'ROW LEVEL SECURITY');
        case 'AT_ReplicaIdentity':
            return effect('AccessExclusiveLock', 'REPLICA IDENTITY');
        default:
            // Anything else: PostgreSQL's default for ALTER TABLE.
            return effect('AccessExclusiveLock', subtype.replace(/^AT_/, ''));
    }
}
const RELATION_OBJECTS = {
    OBJECT_TABLE: 'TABLE',
    OBJECT_INDEX: 'INDEX',
    OBJECT_VIEW: 'VIEW',
    OBJECT_MATVIEW: 'MATERIALIZED VIEW',
    OBJECT_SEQUENCE: 'SEQUENCE',
    OBJECT_FOREIGN_TABLE: 'FOREIGN TABLE',
};
/** One statement's node, analysed. Returns undefined fields where the statement locks nothing of interest. */
function analyzeNode(nodeKind, node, serverVersion) {
    const locks = [];
    const pending = [];
    const lock = (relation, mode, role = 'target') => {
        if (relation === undefined)
            return;
        const existing = locks.findIndex((l) => l.relation === relation);
        if (existing >= 0)
            locks[existing] = { ...locks[existing], mode: (0,review_locks/* stronger */.t_)(locks[existing].mode, mode) };
        else
            locks.push({ relation, mode, role });
    };
    const relation = node.relation;
    const table = nameOf(relation);
    switch (nodeKind) {
        case 'AlterTableStmt': {
            const objtype = String(node.objtype ?? 'OBJECT_TABLE');
            const effects = (node.cmds ?? []).map((wrapper) => alterTableCommand((unwrap(wrapper)?.[1] ?? {}), serverVersion));
            let mode = 'AccessShareLock';
            for (const e of effects)
                mode = (0,review_locks/* stronger */.t_)(mode, e.mode);
            // ALTER INDEX locks the index itself, ALTER TABLE the table.
            lock(table, mode);
            for (const e of effects)
                for (const referenced of e.referenced)
                    lock(nameOf(referenced), e.label === 'ATTACH PARTITION' ? 'AccessExclusiveLock' : 'ShareRowExclusiveLock', 'referenced');
            for (const wrapper of node.cmds ?? []) {
                const cmd = (unwrap(wrapper)?.[1] ?? {});
                if (cmd.subtype !== 'AT_AlterColumnType' || table === undefined)
                    continue;
                const typeName = cmd.def?.ColumnDef?.typeName;
                const names = strings(typeName?.names);
                const mods = (typeName?.typmods ?? []).map((m) => Number(m.A_Const?.ival?.ival ?? NaN));
                pending.push({ kind: 'column-type', table, column: String(cmd.name), base: names[names.length - 1] ?? '', mods });
            }
            const what = RELATION_OBJECTS[objtype] ?? 'TABLE';
            return {
                kind: `ALTER ${what} ${effects.map((e) => e.label).join(', ')}`.trim(),
                table,
                locks,
                pending,
                rewrites: effects.some((e) => e.rewrites),
                scans: effects.some((e) => e.scans),
            };
        }
        case 'IndexStmt': {
            const concurrent = node.concurrent === true;
            lock(table, concurrent ? 'ShareUpdateExclusiveLock' : 'ShareLock');
            return { kind: `CREATE ${node.unique ? 'UNIQUE ' : ''}INDEX${concurrent ? ' CONCURRENTLY' : ''}`, table, locks, pending, rewrites: false, scans: true };
        }
        case 'CreateStmt': {
            // A new table locks only itself; a foreign key also locks what it references.
            for (const wrapper of node.tableElts ?? []) {
                const [kind, element] = unwrap(wrapper) ?? ['', {}];
                if (kind === 'ColumnDef')
                    for (const referenced of columnFacts(element).foreign)
                        lock(nameOf(referenced), 'ShareRowExclusiveLock', 'referenced');
                if (kind === 'Constraint' && element.contype === 'CONSTR_FOREIGN')
                    lock(nameOf(element.pktable), 'ShareRowExclusiveLock', 'referenced');
            }
            const parent = (node.inhRelations ?? []).map((w) => nameOf(unwrap(w)?.[1]));
            if (node.partbound) {
                lock(parent[0], serverVersion >= 120_000 ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock', 'referenced');
            }
            return { kind: node.partbound ? 'CREATE TABLE … PARTITION OF' : 'CREATE TABLE', table, locks, pending, rewrites: false, scans: false };
        }
        case 'RenameStmt': {
            const type = String(node.renameType);
            const renamesIndex = type === 'OBJECT_INDEX' || (type === 'OBJECT_TABLE' && node.relationType === 'OBJECT_INDEX');
            // Renaming an index takes SHARE UPDATE EXCLUSIVE since PostgreSQL 12.
            const mode = renamesIndex && serverVersion >= 120_000 ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock';
            lock(table, mode);
            const what = {
                OBJECT_COLUMN: 'RENAME COLUMN',
                OBJECT_TABLE: 'RENAME TO',
                OBJECT_INDEX: 'ALTER INDEX … RENAME',
                OBJECT_TABCONSTRAINT: 'RENAME CONSTRAINT',
                OBJECT_VIEW: 'ALTER VIEW … RENAME',
                OBJECT_SEQUENCE: 'ALTER SEQUENCE … RENAME',
            };
            return { kind: what[type] ?? `RENAME ${type.replace(/^OBJECT_/, '')}`, table, locks, pending, rewrites: false, scans: false };
        }
        case 'DropStmt': {
            const removeType = String(node.removeType);
            const concurrent = node.concurrent === true;
            const objects = (node.objects ?? []).map((item) => strings(item.List ? item.List.items : [item]).join('.'));
            if (removeType === 'OBJECT_TABLE' || removeType === 'OBJECT_MATVIEW' || removeType === 'OBJECT_VIEW' || removeType === 'OBJECT_SEQUENCE') {
                for (const name of objects) {
                    lock(name, 'AccessExclusiveLock');
                    // A dropped table's foreign keys have triggers on the tables they reference: dropped with it.
                    if (removeType === 'OBJECT_TABLE')
                        pending.push({ kind: 'referenced-by', table: name, mode: 'AccessExclusiveLock' });
                }
                return { kind: `DROP ${RELATION_OBJECTS[removeType]}`, table: objects[0], locks, pending, rewrites: false, scans: false };
            }
            if (removeType === 'OBJECT_INDEX') {
                for (const name of objects) {
                    lock(name, concurrent ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock');
                    pending.push({ kind: 'table-of-index', index: name, mode: concurrent ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock' });
                }
                return { kind: `DROP INDEX${concurrent ? ' CONCURRENTLY' : ''}`, locks, pending, rewrites: false, scans: false };
            }
            if (removeType === 'OBJECT_TRIGGER' || removeType === 'OBJECT_RULE' || removeType === 'OBJECT_POLICY') {
                // [schema.]table.name: the table is locked.
                const tableName = objects.map((name) => name.split('.').slice(0, -1).join('.'));
                for (const name of tableName)
                    lock(name, 'AccessExclusiveLock');
                return { kind: `DROP ${removeType.replace(/^OBJECT_/, '')}`, table: tableName[0], locks, pending, rewrites: false, scans: false };
            }
            return { kind: `DROP ${removeType.replace(/^OBJECT_/, '').replace(/_/g, ' ')}`, locks, pending, rewrites: false, scans: false };
        }
        case 'TruncateStmt': {
            const tables = (node.relations ?? []).map((w) => nameOf(unwrap(w)?.[1]));
            for (const name of tables)
                lock(name, 'AccessExclusiveLock');
            return { kind: 'TRUNCATE', table: tables[0], locks, pending, rewrites: true, scans: false };
        }
        case 'UpdateStmt':
        case 'DeleteStmt':
        case 'InsertStmt':
        case 'MergeStmt': {
            const target = nameOf(relation);
            lock(target, 'RowExclusiveLock');
            const kind = nodeKind.replace(/Stmt$/, '').toUpperCase();
            return { kind, table: target, locks, pending, rewrites: false, scans: nodeKind !== 'InsertStmt' && node.whereClause === undefined };
        }
        case 'CreateTrigStmt':
            lock(table, 'ShareRowExclusiveLock');
            return { kind: 'CREATE TRIGGER', table, locks, pending, rewrites: false, scans: false };
        case 'VacuumStmt': {
            const rels = (node.rels ?? []).map((w) => nameOf((unwrap(w)?.[1] ?? {}).relation));
            const full = JSON.stringify(node.options ?? []).includes('"full"');
            for (const name of rels)
                lock(name, full ? 'AccessExclusiveLock' : 'ShareUpdateExclusiveLock');
            return { kind: node.is_vacuumcmd === false ? 'ANALYZE' : full ? 'VACUUM FULL' : 'VACUUM', table: rels[0], locks, pending, rewrites: full, scans: true };
        }
        case 'ClusterStmt':
            lock(table, 'AccessExclusiveLock');
            return { kind: 'CLUSTER', table, locks, pending, rewrites: true, scans: true };
        case 'RefreshMatViewStmt': {
            const concurrent = node.concurrent === true;
            lock(table, concurrent ? 'ExclusiveLock' : 'AccessExclusiveLock');
            return { kind: `REFRESH MATERIALIZED VIEW${concurrent ? ' CONCURRENTLY' : ''}`, table, locks, pending, rewrites: !concurrent, scans: true };
        }
        case 'ReindexStmt': {
            const concurrent = JSON.stringify(node.params ?? []).includes('"concurrently"');
            lock(table, concurrent ? 'ShareUpdateExclusiveLock' : 'ShareLock');
            return { kind: `REINDEX${concurrent ? ' CONCURRENTLY' : ''}`, table, locks, pending, rewrites: false, scans: true };
        }
        case 'LockStmt': {
            // The grammar numbers the modes 1 (ACCESS SHARE) to 8 (ACCESS EXCLUSIVE), weakest first as LOCK_MODES.
            const mode = review_locks/* LOCK_MODES */.bx[Number(node.mode ?? 8) - 1] ?? 'AccessExclusiveLock';
            const tables = (node.relations ?? []).map((w) => nameOf(unwrap(w)?.[1]));
            for (const name of tables)
                lock(name, mode);
            return { kind: 'LOCK TABLE', table: tables[0], locks, pending, rewrites: false, scans: false };
        }
        case 'CommentStmt': {
            // COMMENT ON TABLE / COLUMN locks the table against schema changes.
            const objtype = String(node.objtype);
            const parts = strings(node.object?.List?.items);
            const target = objtype === 'OBJECT_TABLE' ? parts.join('.') : objtype === 'OBJECT_COLUMN' ? parts.slice(0, -1).join('.') : undefined;
            lock(target === '' ? undefined : target, 'ShareUpdateExclusiveLock');
            return { kind: `COMMENT ON ${objtype.replace(/^OBJECT_/, '')}`, table: target, locks, pending, rewrites: false, scans: false };
        }
        default:
            return { kind: nodeKind.replace(/Stmt$/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase(), table, locks, pending, rewrites: false, scans: false };
    }
}
/** 1-based line of a byte offset in `bytes`. */
function lineOfByte(bytes, offset) {
    let line = 1;
    for (let i = 0; i < offset && i < bytes.length; i += 1)
        if (bytes[i] === 0x0a)
            line += 1;
    return line;
}
/**
 * Every statement of `sql`, analysed for `serverVersion` (e.g. 160004); undefined when the SQL does not
 * parse (the server would refuse it whole). Positions are libpg-query's byte offsets, mapped to lines.
 */
async function analyzeSql(sql, serverVersion) {
    const { parse } = await (0,transaction_control/* loadParser */.qd)();
    let parsed;
    try {
        parsed = (await parse(sql));
    }
    catch {
        return undefined;
    }
    const bytes = Buffer.from(sql, 'utf8');
    return (parsed.stmts ?? []).map(({ stmt, stmt_location: location = 0, stmt_len: length }) => {
        const [nodeKind, node] = unwrap(stmt) ?? ['', {}];
        const raw = bytes.subarray(location, length === undefined || length === 0 ? bytes.length : location + length).toString('utf8');
        const skip = Buffer.byteLength(raw.slice(0, (0,transaction_control/* leadingTrivia */.cQ)(raw)), 'utf8');
        const text = raw.slice((0,transaction_control/* leadingTrivia */.cQ)(raw)).replace(/\s+/g, ' ').trim();
        return {
            ...analyzeNode(nodeKind, node, serverVersion),
            line: lineOfByte(bytes, location + skip),
            text: text.length > 200 ? `${text.slice(0, 197)}...` : text,
            node,
            nodeKind,
        };
    });
}

// EXTERNAL MODULE: ./lib/review/describe.js
var describe = __webpack_require__(5427);
;// CONCATENATED MODULE: ./lib/review/index.js



/**
 * Each pending migration's statements with the locks they take, what those block, whether they rewrite
 * or scan, and the real size of every table they lock (read on `client`, changing nothing). A migration
 * whose SQL is not known before it runs, or that does not parse, gets a note instead.
 */
async function reviewMigrations(client, planned, serverVersion) {
    const analyzed = [];
    for (const migration of planned) {
        if (migration.sql === undefined) {
            analyzed.push({ migration, note: migration.sqlNote ?? 'its SQL is known only when it runs' });
            continue;
        }
        const statements = await analyzeSql(migration.sql, serverVersion);
        if (statements === undefined)
            analyzed.push({ migration, note: "PostgreSQL's grammar cannot parse it; the server would refuse it" });
        else
            analyzed.push({ migration, statements: await resolveWithCatalog(client, statements) });
    }
    // One query for the sizes of every table any of them locks.
    const sizes = await tableSizes(client, [...new Set(analyzed.flatMap((a) => (a.statements ?? []).flatMap((s) => s.locks.map((l) => l.relation))))]);
    return analyzed.map(({ migration, statements, note }) => statements === undefined
        ? { migration, note }
        : {
            migration,
            statements: statements.map((statement) => ({
                ...statement,
                sizes: new Map(statement.locks.filter((l) => sizes.has(l.relation)).map((l) => [l.relation, sizes.get(l.relation)])),
            })),
        });
}
/**
 * Sizes of the relations that exist, in one query, from the catalog alone: pages of the table, its TOAST
 * table and its indexes (as of the last VACUUM or ANALYZE), and its estimated rows. Never
 * pg_total_relation_size: it opens the table, and would wait behind a transaction that holds a lock on
 * it (the run would hang before the first migration, the lock it came to check in hand).
 */
async function tableSizes(client, relations) {
    if (relations.length === 0)
        return new Map();
    const { rows } = await client.query(`SELECT name,
            (c.relpages::bigint + coalesce(t.relpages, 0)
              + coalesce((SELECT sum(i.relpages) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = c.oid), 0))
              * current_setting('block_size')::bigint AS bytes,
            c.reltuples AS rows
       FROM unnest($1::text[]) AS name
       JOIN pg_class c ON c.oid = to_regclass(name)
       LEFT JOIN pg_class t ON t.oid = c.reltoastrelid`, [relations]);
    return new Map(rows.map((r) => [r.name, { bytes: Number(r.bytes ?? 0), rows: r.rows === null || r.rows < 0 ? undefined : r.rows }]));
}


/***/ })

};
