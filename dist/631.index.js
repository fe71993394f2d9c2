export const id = 631;
export const ids = [631];
export const modules = {

/***/ 631:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   describeDrops: () => (/* binding */ describeDrops)
/* harmony export */ });
/* harmony import */ var _transaction_control_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(6921);
/**
 * What a rollback's down file destroys, for its dry run: the tables, columns and other objects it drops
 * and the rows it deletes, one short line each, so that a reviewer sees them before running it.
 *
 * The file is parsed with PostgreSQL's own grammar (libpg-query, as in transaction-control.ts) rather
 * than searched with patterns, so that a `DROP TABLE` inside a comment, a string or a `DO` block's body
 * is not taken for one. What such a body or a function would do when run is not known, so it is not
 * listed.
 */

/** DropStmt's removeType -> the words for it; any other is named from the enum (OBJECT_FOO_BAR -> foo bar). */
const KINDS = {
    OBJECT_TABLE: 'table',
    OBJECT_VIEW: 'view',
    OBJECT_MATVIEW: 'materialized view',
    OBJECT_INDEX: 'index',
    OBJECT_SEQUENCE: 'sequence',
    OBJECT_TYPE: 'type',
    OBJECT_DOMAIN: 'domain',
    OBJECT_SCHEMA: 'schema',
    OBJECT_FUNCTION: 'function',
    OBJECT_PROCEDURE: 'procedure',
    OBJECT_ROUTINE: 'routine',
    OBJECT_AGGREGATE: 'aggregate',
    OBJECT_EXTENSION: 'extension',
    OBJECT_TRIGGER: 'trigger',
    OBJECT_POLICY: 'policy',
    OBJECT_RULE: 'rule',
    OBJECT_FOREIGN_TABLE: 'foreign table',
    OBJECT_FOREIGN_SERVER: 'server',
    OBJECT_FDW: 'foreign data wrapper',
    OBJECT_OPCLASS: 'operator class',
    OBJECT_OPFAMILY: 'operator family',
    OBJECT_STATISTIC_EXT: 'statistics',
    OBJECT_TSCONFIGURATION: 'text search configuration',
    OBJECT_TSDICTIONARY: 'text search dictionary',
    OBJECT_TSPARSER: 'text search parser',
    OBJECT_TSTEMPLATE: 'text search template',
};
/** Objects dropped "ON" a table, written by the parser as [schema, table, name]. */
const ON_TABLE = new Set(['OBJECT_TRIGGER', 'OBJECT_POLICY', 'OBJECT_RULE']);
/**
 * The grammar writes SQL's own type keywords (int, boolean, double precision…) as pg_catalog's names,
 * as if the file had qualified them; these are shown as the keywords again, as PostgreSQL shows them.
 */
const TYPE_KEYWORDS = {
    int2: 'smallint',
    int4: 'integer',
    int8: 'bigint',
    float4: 'real',
    float8: 'double precision',
    bool: 'boolean',
    bpchar: 'char',
    numeric: 'numeric',
    varchar: 'varchar',
    bit: 'bit',
    varbit: 'bit varying',
    timestamp: 'timestamp',
    timestamptz: 'timestamp with time zone',
    time: 'time',
    timetz: 'time with time zone',
    interval: 'interval',
};
/**
 * One line per thing that `sql` destroys, in file order: `table public.b (cascade)`, `column t.c`,
 * `constraint k on t`, `all rows of t` (TRUNCATE, DELETE without WHERE), `rows of t` (DELETE with WHERE)…
 * Names are as written, schema-qualified only where the SQL is, and not quoted. Undefined when the SQL
 * does not parse (the server would refuse it too).
 */
async function describeDrops(sql) {
    // The parser refuses an empty text; an empty down file drops nothing.
    if (sql.trim() === '')
        return [];
    const { parse } = await (0,_transaction_control_js__WEBPACK_IMPORTED_MODULE_0__/* .loadParser */ .qd)();
    let statements;
    try {
        statements = (await parse(sql)).stmts ?? [];
    }
    catch {
        return undefined;
    }
    return statements.flatMap(({ stmt }) => (stmt ? describeStatement(stmt) : []));
}
function describeStatement(stmt) {
    const [type, body] = unwrap(stmt);
    if (!body)
        return [];
    // A data-modifying WITH (`WITH d AS (DELETE FROM t RETURNING *) SELECT …`) runs before the statement.
    const ctes = asNode(body.withClause)?.ctes ?? [];
    const inner = ctes.flatMap((cte) => {
        const query = asNode(asNode(cte.CommonTableExpr)?.ctequery);
        return query ? describeStatement(query) : [];
    });
    return [...inner, ...describeBody(type, body)];
}
function describeBody(type, body) {
    const cascade = body.behavior === 'DROP_CASCADE' ? ' (cascade)' : '';
    switch (type) {
        case 'DropStmt': {
            const removeType = String(body.removeType);
            const kind = KINDS[removeType] ?? removeType.replace(/^OBJECT_/, '').replace(/_/g, ' ').toLowerCase();
            const objects = body.objects ?? [];
            return objects.map((object) => `${kind} ${dropped(removeType, object)}${cascade}`);
        }
        case 'AlterTableStmt': {
            const table = relation(body.relation);
            const cmds = body.cmds ?? [];
            return cmds.flatMap((wrapped) => {
                const cmd = asNode(wrapped.AlterTableCmd);
                const suffix = cmd?.behavior === 'DROP_CASCADE' ? ' (cascade)' : '';
                // ALTER TYPE t DROP ATTRIBUTE a is the same command on a composite type.
                if (cmd?.subtype === 'AT_DropColumn')
                    return [`${body.objtype === 'OBJECT_TYPE' ? 'attribute' : 'column'} ${table}.${String(cmd.name)}${suffix}`];
                if (cmd?.subtype === 'AT_DropConstraint')
                    return [`constraint ${String(cmd.name)} on ${table}${suffix}`];
                return [];
            });
        }
        case 'AlterDomainStmt':
            // Subtype 'X' is DROP CONSTRAINT, as in PostgreSQL's AlterDomainStmt.
            return body.subtype === 'X' ? [`constraint ${String(body.name)} on domain ${names(body.typeName)}${cascade}`] : [];
        case 'TruncateStmt':
            return (body.relations ?? []).map((range) => `all rows of ${relation(range.RangeVar)}${cascade}`);
        case 'DeleteStmt':
            return [`${body.whereClause ? 'rows' : 'all rows'} of ${relation(body.relation)}`];
        case 'DropdbStmt':
            return [`database ${String(body.dbname)}`];
        case 'DropRoleStmt':
            return (body.roles ?? []).map((role) => `role ${roleName(role)}`);
        case 'DropOwnedStmt':
            return (body.roles ?? []).map((role) => `everything owned by ${roleName(role)}${cascade}`);
        case 'DropTableSpaceStmt':
            return [`tablespace ${String(body.tablespacename)}`];
        case 'DropSubscriptionStmt':
            return [`subscription ${String(body.subname)}`];
        default:
            return [];
    }
}
/** The name of one object of a DropStmt, whose shape depends on the kind (see the tests). */
function dropped(removeType, object) {
    const [type, body] = unwrap(object);
    if (!body)
        return '?';
    if (type === 'List') {
        const items = body.items ?? [];
        // [schema, table, name]: `trigger x on s.t`.
        if (ON_TABLE.has(removeType))
            return `${names(items.slice(-1))} on ${names(items.slice(0, -1))}`;
        // [access method, schema, name]: `operator class s.c using btree`.
        if (removeType === 'OBJECT_OPCLASS' || removeType === 'OBJECT_OPFAMILY')
            return `${names(items.slice(1))} using ${names(items.slice(0, 1))}`;
        // [source type, target type]: `cast (integer as text)`.
        if (removeType === 'OBJECT_CAST')
            return `(${items.map(typeName).join(' as ')})`;
        return names(items);
    }
    if (type === 'ObjectWithArgs') {
        const name = names(body.objname);
        // `DROP FUNCTION f` names every f, so no argument list; `f()` is the one without arguments.
        if (body.args_unspecified)
            return name;
        return `${name}(${(body.objargs ?? []).map(typeName).join(', ')})`;
    }
    if (type === 'TypeName')
        return typeName(object);
    if (type === 'String')
        return String(body.sval);
    return '?';
}
/** [{String: {sval: 's'}}, {String: {sval: 't'}}] -> `s.t`. */
function names(list) {
    return (list ?? []).map((item) => (item.String ? String(asNode(item.String)?.sval) : typeName(item))).join('.');
}
/** A TypeName as written, without its modifiers (`varchar(10)` is `varchar`: they do not tell functions apart). */
function typeName(node) {
    const body = asNode(node.TypeName);
    // An operator's missing side: `DROP OPERATOR -(none, int)`.
    if (!body)
        return 'none';
    const parts = (body.names ?? []).map((item) => String(asNode(item.String)?.sval));
    const name = parts.length === 2 && parts[0] === 'pg_catalog' && Object.hasOwn(TYPE_KEYWORDS, parts[1]) ? TYPE_KEYWORDS[parts[1]] : parts.join('.');
    const bounds = body.arrayBounds ?? [];
    return `${body.setof ? 'setof ' : ''}${name}${'[]'.repeat(bounds.length)}`;
}
function relation(value) {
    const range = (value ?? {});
    return [range.catalogname, range.schemaname, range.relname].filter((part) => part !== undefined && part !== '').join('.');
}
function roleName(role) {
    const spec = asNode(role.RoleSpec);
    if (spec?.rolename !== undefined)
        return String(spec.rolename);
    // CURRENT_USER, SESSION_USER…: ROLESPEC_CURRENT_USER -> current_user.
    return String(spec?.roletype ?? '?').replace(/^ROLESPEC_/, '').toLowerCase();
}
function unwrap(node) {
    const [type] = Object.keys(node);
    return type === undefined ? ['', undefined] : [type, asNode(node[type])];
}
function asNode(value) {
    return typeof value === 'object' && value !== null ? value : undefined;
}


/***/ })

};
