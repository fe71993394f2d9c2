export const id = 992;
export const ids = [992];
export const modules = {

/***/ 5992:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   De: () => (/* binding */ addColumnRewrites),
/* harmony export */   Tp: () => (/* binding */ analyzeSql),
/* harmony export */   v4: () => (/* binding */ quoteIdent)
/* harmony export */ });
/* unused harmony export qualified */
/* harmony import */ var _migrations_transaction_control_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(6921);
/* harmony import */ var _locks_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(3924);
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


/** An identifier as SQL writes it: bare when PostgreSQL would fold it to itself, else in double quotes. Pure. */
function quoteIdent(name) {
    return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}
/** A relation's name from its parts, quoted where needed: what to_regclass() reads back as the same relation. Pure. */
function qualified(parts) {
    return parts.map(quoteIdent).join('.');
}
function nameOf(range) {
    if (!range?.relname)
        return undefined;
    return qualified(range.schemaname ? [range.schemaname, range.relname] : [range.relname]);
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
/**
 * Whether an `ADD COLUMN` subcommand rewrites the table: since PostgreSQL 11 a constant default is stored
 * in the catalog; a volatile one (or an identity or stored generated column) fills every row. Pure.
 */
function addColumnRewrites(cmd, serverVersion) {
    const facts = columnFacts((cmd.def?.ColumnDef ?? {}));
    return facts.identity || facts.generated || (facts.defaultExpr !== undefined && (serverVersion < 110_000 || isVolatile(facts.defaultExpr)));
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
            const rewrites = addColumnRewrites(cmd, serverVersion);
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
            locks[existing] = { ...locks[existing], mode: (0,_locks_js__WEBPACK_IMPORTED_MODULE_1__/* .stronger */ .t_)(locks[existing].mode, mode) };
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
                mode = (0,_locks_js__WEBPACK_IMPORTED_MODULE_1__/* .stronger */ .t_)(mode, e.mode);
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
                // A type change's rewrite is the catalog's to decide (catalog.ts): it depends on the column's type now.
                rewrites: effects.some((e) => e.rewrites && e.label !== 'ALTER COLUMN … TYPE'),
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
            const objectParts = (node.objects ?? []).map((item) => strings(item.List ? item.List.items : [item]));
            const objects = objectParts.map(qualified);
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
                const tableName = objectParts.map((parts) => qualified(parts.slice(0, -1)));
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
            const mode = _locks_js__WEBPACK_IMPORTED_MODULE_1__/* .LOCK_MODES */ .bx[Number(node.mode ?? 8) - 1] ?? 'AccessExclusiveLock';
            const tables = (node.relations ?? []).map((w) => nameOf(unwrap(w)?.[1]));
            for (const name of tables)
                lock(name, mode);
            return { kind: 'LOCK TABLE', table: tables[0], locks, pending, rewrites: false, scans: false };
        }
        case 'CommentStmt': {
            // COMMENT ON TABLE / COLUMN locks the table against schema changes.
            const objtype = String(node.objtype);
            const parts = strings(node.object?.List?.items);
            const target = objtype === 'OBJECT_TABLE' ? qualified(parts) : objtype === 'OBJECT_COLUMN' ? qualified(parts.slice(0, -1)) : undefined;
            lock(target === '' ? undefined : target, 'ShareUpdateExclusiveLock');
            return { kind: `COMMENT ON ${objtype.replace(/^OBJECT_/, '')}`, table: target, locks, pending, rewrites: false, scans: false };
        }
        default:
            return { kind: nodeKind.replace(/Stmt$/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase(), table, locks, pending, rewrites: false, scans: false };
    }
}
/**
 * 1-based lines of byte offsets in `bytes`, asked in increasing order: the count is carried forward, so a
 * file of 100,000 statements is read once, not once per statement.
 */
function lineCounter(bytes) {
    let at = 0;
    let line = 1;
    return (offset) => {
        for (; at < offset && at < bytes.length; at += 1)
            if (bytes[at] === 0x0a)
                line += 1;
        return line;
    };
}
/**
 * Every statement of `sql`, analysed for `serverVersion` (e.g. 160004); undefined when the SQL does not
 * parse (the server would refuse it whole). Positions are libpg-query's byte offsets, mapped to lines.
 */
async function analyzeSql(sql, serverVersion) {
    const { parse } = await (0,_migrations_transaction_control_js__WEBPACK_IMPORTED_MODULE_0__/* .loadParser */ .qd)();
    let parsed;
    try {
        parsed = (await parse(sql));
    }
    catch {
        return undefined;
    }
    const bytes = Buffer.from(sql, 'utf8');
    const lineOfByte = lineCounter(bytes);
    return (parsed.stmts ?? []).map(({ stmt, stmt_location: location = 0, stmt_len: length }) => {
        const [nodeKind, node] = unwrap(stmt) ?? ['', {}];
        const raw = bytes.subarray(location, length === undefined || length === 0 ? bytes.length : location + length).toString('utf8');
        const skip = Buffer.byteLength(raw.slice(0, (0,_migrations_transaction_control_js__WEBPACK_IMPORTED_MODULE_0__/* .leadingTrivia */ .cQ)(raw)), 'utf8');
        const text = raw.slice((0,_migrations_transaction_control_js__WEBPACK_IMPORTED_MODULE_0__/* .leadingTrivia */ .cQ)(raw)).replace(/\s+/g, ' ').trim();
        return {
            ...analyzeNode(nodeKind, node, serverVersion),
            line: lineOfByte(location + skip),
            text: text.length > 200 ? `${text.slice(0, 197)}...` : text,
            sql: raw,
            node,
            nodeKind,
        };
    });
}


/***/ })

};
