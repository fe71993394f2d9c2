export const id = 932;
export const ids = [932];
export const modules = {

/***/ 5932:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  describeStatement: () => (/* reexport */ describe/* describeStatement */.Zc),
  fileLine: () => (/* reexport */ describe/* fileLine */.RO),
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

// EXTERNAL MODULE: ./lib/review/statements.js
var review_statements = __webpack_require__(5992);
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
        const statements = await (0,review_statements/* analyzeSql */.Tp)(migration.sql, serverVersion);
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
 * table and its indexes (as of the last VACUUM or ANALYZE), and its estimated rows. A partitioned table
 * has no storage of its own (relpages -1): its size is its partitions', found through pg_inherits, and
 * its rows theirs when it was never analysed itself (unknown while a partition never was either). Never pg_total_relation_size or
 * pg_partition_tree: they open or lock the tables, and would wait behind a transaction that holds a lock
 * on one (the run would hang before the first migration, the lock it came to check in hand).
 */
async function tableSizes(client, relations) {
    if (relations.length === 0)
        return new Map();
    const { rows } = await client.query(`WITH RECURSIVE named AS (
       SELECT name, to_regclass(name) AS root FROM (SELECT DISTINCT unnest($1::text[]) AS name) AS names
     ), tree(root, rel) AS (
       SELECT root, root FROM named WHERE root IS NOT NULL
       UNION
       SELECT tree.root, i.inhrelid FROM tree JOIN pg_class p ON p.oid = tree.rel AND p.relkind = 'p' JOIN pg_inherits i ON i.inhparent = p.oid
     )
     SELECT named.name,
            sum(greatest(c.relpages, 0)::bigint + greatest(coalesce(t.relpages, 0), 0)
                + coalesce((SELECT sum(greatest(i.relpages, 0)) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = c.oid), 0))
              * current_setting('block_size')::bigint AS bytes,
            coalesce(max(c.reltuples) FILTER (WHERE c.oid = named.root AND c.reltuples >= 0),
                     -- the partitions' estimates, when every one of them has one
                     CASE WHEN bool_and(c.reltuples >= 0) FILTER (WHERE c.oid <> named.root AND c.relkind <> 'p')
                          THEN sum(c.reltuples) FILTER (WHERE c.oid <> named.root AND c.relkind <> 'p') END) AS rows
       FROM named
       JOIN tree ON tree.root = named.root
       JOIN pg_class c ON c.oid = tree.rel
       LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
      GROUP BY named.name, named.root`, [relations]);
    return new Map(rows.map((r) => [r.name, { bytes: Number(r.bytes ?? 0), rows: r.rows === null || r.rows < 0 ? undefined : Number(r.rows) }]));
}


/***/ })

};
