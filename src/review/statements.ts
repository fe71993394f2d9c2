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

import { leadingTrivia, loadParser } from '../migrations/transaction-control.js';
import { LOCK_MODES, stronger, type LockMode } from './locks.js';

/** A relation as the statement names it: `schema.name` when qualified, else `name`. */
export type RelationName = string;

export interface PredictedLock {
  readonly relation: RelationName;
  readonly mode: LockMode;
  /** Why this relation: the statement's table, a referenced table, the table of an index. */
  readonly role: 'target' | 'referenced' | 'index table';
}

/** A lock that the catalog decides (see catalog.ts). */
export type PendingLock =
  | { readonly kind: 'table-of-index'; readonly index: RelationName; readonly mode: LockMode }
  | { readonly kind: 'referenced-by'; readonly table: RelationName; readonly mode: LockMode }
  /** ALTER COLUMN … TYPE: whether it rewrites depends on the column's type now (varchar(20) to varchar(50) does not). */
  | { readonly kind: 'column-type'; readonly table: RelationName; readonly column: string; readonly base: string; readonly mods: readonly number[] };

export interface AnalyzedStatement {
  /** What it is, e.g. `ALTER TABLE … ADD COLUMN`, `CREATE INDEX`. */
  readonly kind: string;
  /** 1-based line of its first keyword (not of comments before it). */
  readonly line: number;
  /** The statement on one line, shortened. */
  readonly text: string;
  /** The statement as written (comments before it included), for the shadow run. */
  readonly sql: string;
  /** The table it acts on, when it has one. */
  readonly table?: RelationName;
  readonly locks: readonly PredictedLock[];
  readonly pending: readonly PendingLock[];
  /** The table is rewritten (a new relfilenode): time and disk in proportion to its size. */
  readonly rewrites: boolean;
  /** The table is read whole under the lock (a constraint or NOT NULL checked). */
  readonly scans: boolean;
  /** The AST node, for the rules. */
  readonly node: Readonly<Record<string, unknown>>;
  readonly nodeKind: string;
}

type Node = Record<string, unknown>;
interface RangeVar {
  readonly relname: string;
  readonly schemaname?: string;
}

/** An identifier as SQL writes it: bare when PostgreSQL would fold it to itself, else in double quotes. Pure. */
export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** A relation's name from its parts, quoted where needed: what to_regclass() reads back as the same relation. Pure. */
export function qualified(parts: readonly string[]): RelationName {
  return parts.map(quoteIdent).join('.');
}

function nameOf(range: RangeVar | undefined): RelationName | undefined {
  if (!range?.relname) return undefined;
  return qualified(range.schemaname ? [range.schemaname, range.relname] : [range.relname]);
}

/** The one key of a node wrapper ({ Constraint: {...} } -> ['Constraint', {...}]). */
function unwrap(wrapper: unknown): [string, Node] | undefined {
  if (typeof wrapper !== 'object' || wrapper === null) return undefined;
  const [entry] = Object.entries(wrapper as Node);
  return entry ? [entry[0], entry[1] as Node] : undefined;
}

function strings(list: unknown): string[] {
  return Array.isArray(list) ? list.map((item) => String(((item as Node).String as Node | undefined)?.sval ?? '')) : [];
}

/** Volatile defaults PostgreSQL evaluates per row (a rewrite when added with a column). */
const VOLATILE = /^(random|gen_random_uuid|uuid_generate_v[14]|clock_timestamp|timeofday|nextval|txid_current|setseed)$/i;

function isVolatile(expr: unknown): boolean {
  let found = false;
  const visit = (value: unknown): void => {
    if (found || typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) return value.forEach(visit);
    const node = value as Node;
    const call = node.FuncCall as Node | undefined;
    if (call && VOLATILE.test(strings(call.funcname).pop() ?? '')) found = true;
    for (const child of Object.values(node)) visit(child);
  };
  visit(expr);
  return found;
}

interface ColumnFacts {
  readonly notNull: boolean;
  readonly defaultExpr?: unknown;
  readonly identity: boolean;
  readonly generated: boolean;
  readonly foreign: readonly RangeVar[];
  readonly primaryOrUnique: boolean;
  readonly check: boolean;
}

function columnFacts(def: Node): ColumnFacts {
  let notNull = false;
  let defaultExpr: unknown;
  let identity = false;
  let generated = false;
  let primaryOrUnique = false;
  let check = false;
  const foreign: RangeVar[] = [];
  for (const wrapper of (def.constraints as unknown[]) ?? []) {
    const constraint = (unwrap(wrapper)?.[1] ?? {}) as Node;
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
        foreign.push(constraint.pktable as RangeVar);
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
export function addColumnRewrites(cmd: Readonly<Record<string, unknown>>, serverVersion: number): boolean {
  const facts = columnFacts((((cmd.def as Node | undefined)?.ColumnDef as Node) ?? {}) as Node);
  return facts.identity || facts.generated || (facts.defaultExpr !== undefined && (serverVersion < 110_000 || isVolatile(facts.defaultExpr)));
}

/** One ALTER TABLE subcommand: its lock, whether it rewrites or scans, and tables it also locks. */
interface CommandEffect {
  readonly mode: LockMode;
  readonly label: string;
  readonly rewrites: boolean;
  readonly scans: boolean;
  readonly referenced: readonly RangeVar[];
}

/** tablecmds.c AlterTableGetLockLevel, with the effects on the table's data, for `serverVersion`. */
function alterTableCommand(cmd: Node, serverVersion: number): CommandEffect {
  const def = cmd.def as Node | undefined;
  const subtype = String(cmd.subtype);
  const effect = (mode: LockMode, label: string, more: Partial<CommandEffect> = {}): CommandEffect => ({
    mode,
    label,
    rewrites: false,
    scans: false,
    referenced: [],
    ...more,
  });
  switch (subtype) {
    case 'AT_AddColumn': {
      const facts = columnFacts((def?.ColumnDef as Node) ?? {});
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
      const constraint = (def?.Constraint as Node) ?? {};
      const notValid = constraint.skip_validation === true;
      switch (constraint.contype) {
        case 'CONSTR_FOREIGN':
          return effect('ShareRowExclusiveLock', `ADD FOREIGN KEY${notValid ? ' … NOT VALID' : ''}`, {
            scans: !notValid,
            referenced: [constraint.pktable as RangeVar],
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
        referenced: [((def?.PartitionCmd as Node)?.name as RangeVar) ?? { relname: '' }],
      });
    case 'AT_DetachPartition':
      return effect(cmd.def && (cmd.def as Node).PartitionCmd && ((cmd.def as Node).PartitionCmd as Node).concurrent ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock', 'DETACH PARTITION');
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

const RELATION_OBJECTS: Readonly<Record<string, string>> = {
  OBJECT_TABLE: 'TABLE',
  OBJECT_INDEX: 'INDEX',
  OBJECT_VIEW: 'VIEW',
  OBJECT_MATVIEW: 'MATERIALIZED VIEW',
  OBJECT_SEQUENCE: 'SEQUENCE',
  OBJECT_FOREIGN_TABLE: 'FOREIGN TABLE',
};

/** One statement's node, analysed. Returns undefined fields where the statement locks nothing of interest. */
function analyzeNode(nodeKind: string, node: Node, serverVersion: number): Pick<AnalyzedStatement, 'kind' | 'table' | 'locks' | 'pending' | 'rewrites' | 'scans'> {
  const locks: PredictedLock[] = [];
  const pending: PendingLock[] = [];
  const lock = (relation: RelationName | undefined, mode: LockMode, role: PredictedLock['role'] = 'target') => {
    if (relation === undefined) return;
    const existing = locks.findIndex((l) => l.relation === relation);
    if (existing >= 0) locks[existing] = { ...locks[existing]!, mode: stronger(locks[existing]!.mode, mode) };
    else locks.push({ relation, mode, role });
  };
  const relation = node.relation as RangeVar | undefined;
  const table = nameOf(relation);
  switch (nodeKind) {
    case 'AlterTableStmt': {
      const objtype = String(node.objtype ?? 'OBJECT_TABLE');
      const effects = ((node.cmds as unknown[]) ?? []).map((wrapper) => alterTableCommand((unwrap(wrapper)?.[1] ?? {}) as Node, serverVersion));
      let mode: LockMode = 'AccessShareLock';
      for (const e of effects) mode = stronger(mode, e.mode);
      // ALTER INDEX locks the index itself, ALTER TABLE the table.
      lock(table, mode);
      for (const e of effects) for (const referenced of e.referenced) lock(nameOf(referenced), e.label === 'ATTACH PARTITION' ? 'AccessExclusiveLock' : 'ShareRowExclusiveLock', 'referenced');
      for (const wrapper of (node.cmds as unknown[]) ?? []) {
        const cmd = (unwrap(wrapper)?.[1] ?? {}) as Node;
        if (cmd.subtype !== 'AT_AlterColumnType' || table === undefined) continue;
        const typeName = ((cmd.def as Node)?.ColumnDef as Node)?.typeName as Node | undefined;
        const names = strings(typeName?.names);
        const mods = ((typeName?.typmods as unknown[]) ?? []).map((m) => Number((((m as Node).A_Const as Node)?.ival as Node)?.ival ?? NaN));
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
      for (const wrapper of (node.tableElts as unknown[]) ?? []) {
        const [kind, element] = unwrap(wrapper) ?? ['', {}];
        if (kind === 'ColumnDef') for (const referenced of columnFacts(element).foreign) lock(nameOf(referenced), 'ShareRowExclusiveLock', 'referenced');
        if (kind === 'Constraint' && element.contype === 'CONSTR_FOREIGN') lock(nameOf(element.pktable as RangeVar), 'ShareRowExclusiveLock', 'referenced');
      }
      const parent = ((node.inhRelations as unknown[]) ?? []).map((w) => nameOf(unwrap(w)?.[1] as unknown as RangeVar));
      if (node.partbound) {
        lock(parent[0], serverVersion >= 120_000 ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock', 'referenced');
      }
      return { kind: node.partbound ? 'CREATE TABLE … PARTITION OF' : 'CREATE TABLE', table, locks, pending, rewrites: false, scans: false };
    }
    case 'RenameStmt': {
      const type = String(node.renameType);
      const renamesIndex = type === 'OBJECT_INDEX' || (type === 'OBJECT_TABLE' && node.relationType === 'OBJECT_INDEX');
      // Renaming an index takes SHARE UPDATE EXCLUSIVE since PostgreSQL 12.
      const mode: LockMode = renamesIndex && serverVersion >= 120_000 ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock';
      lock(table, mode);
      const what: Record<string, string> = {
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
      const objectParts = ((node.objects as unknown[]) ?? []).map((item) => strings((item as Node).List ? ((item as Node).List as Node).items : [item]));
      const objects = objectParts.map(qualified);
      if (removeType === 'OBJECT_TABLE' || removeType === 'OBJECT_MATVIEW' || removeType === 'OBJECT_VIEW' || removeType === 'OBJECT_SEQUENCE') {
        for (const name of objects) {
          lock(name, 'AccessExclusiveLock');
          // A dropped table's foreign keys have triggers on the tables they reference: dropped with it.
          if (removeType === 'OBJECT_TABLE') pending.push({ kind: 'referenced-by', table: name, mode: 'AccessExclusiveLock' });
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
        for (const name of tableName) lock(name, 'AccessExclusiveLock');
        return { kind: `DROP ${removeType.replace(/^OBJECT_/, '')}`, table: tableName[0], locks, pending, rewrites: false, scans: false };
      }
      return { kind: `DROP ${removeType.replace(/^OBJECT_/, '').replace(/_/g, ' ')}`, locks, pending, rewrites: false, scans: false };
    }
    case 'TruncateStmt': {
      const tables = ((node.relations as unknown[]) ?? []).map((w) => nameOf(unwrap(w)?.[1] as unknown as RangeVar));
      for (const name of tables) lock(name, 'AccessExclusiveLock');
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
      const rels = ((node.rels as unknown[]) ?? []).map((w) => nameOf(((unwrap(w)?.[1] ?? {}) as Node).relation as RangeVar));
      const full = JSON.stringify(node.options ?? []).includes('"full"');
      for (const name of rels) lock(name, full ? 'AccessExclusiveLock' : 'ShareUpdateExclusiveLock');
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
      const mode = LOCK_MODES[Number(node.mode ?? 8) - 1] ?? 'AccessExclusiveLock';
      const tables = ((node.relations as unknown[]) ?? []).map((w) => nameOf(unwrap(w)?.[1] as unknown as RangeVar));
      for (const name of tables) lock(name, mode);
      return { kind: 'LOCK TABLE', table: tables[0], locks, pending, rewrites: false, scans: false };
    }
    case 'CommentStmt': {
      // COMMENT ON TABLE / COLUMN locks the table against schema changes.
      const objtype = String(node.objtype);
      const parts = strings(((node.object as Node)?.List as Node)?.items);
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
function lineCounter(bytes: Buffer): (offset: number) => number {
  let at = 0;
  let line = 1;
  return (offset) => {
    for (; at < offset && at < bytes.length; at += 1) if (bytes[at] === 0x0a) line += 1;
    return line;
  };
}

/**
 * Every statement of `sql`, analysed for `serverVersion` (e.g. 160004); undefined when the SQL does not
 * parse (the server would refuse it whole). Positions are libpg-query's byte offsets, mapped to lines.
 */
export async function analyzeSql(sql: string, serverVersion: number): Promise<AnalyzedStatement[] | undefined> {
  const { parse } = await loadParser();
  let parsed: { stmts?: { stmt: Node; stmt_location?: number; stmt_len?: number }[] };
  try {
    parsed = (await parse(sql)) as typeof parsed;
  } catch {
    return undefined;
  }
  const bytes = Buffer.from(sql, 'utf8');
  const lineOfByte = lineCounter(bytes);
  return (parsed.stmts ?? []).map(({ stmt, stmt_location: location = 0, stmt_len: length }) => {
    const [nodeKind, node] = unwrap(stmt) ?? ['', {}];
    const raw = bytes.subarray(location, length === undefined || length === 0 ? bytes.length : location + length).toString('utf8');
    const skip = Buffer.byteLength(raw.slice(0, leadingTrivia(raw)), 'utf8');
    const text = raw.slice(leadingTrivia(raw)).replace(/\s+/g, ' ').trim();
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
