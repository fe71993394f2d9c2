import type pg from 'pg';
import type { Setting } from '../config.js';
import { fileLine, type MigrationReview, type ReviewedStatement } from './describe.js';
import { addColumnRewrites, quoteIdent } from './statements.js';

/**
 * The review's rules: each with a name, a one-line why and the safe rewrite. They read the statements
 * as analysed (statements.ts) with the tables' sizes, in the order the migrations run, so that a table
 * created by an earlier pending migration is new (nothing to lock, no rows) and a CHECK validated earlier
 * makes a later SET NOT NULL safe, in one file or across files.
 */
export const RULES = {
  'create-index-not-concurrently': {
    why: 'CREATE INDEX without CONCURRENTLY blocks every write to the table while the index is built',
    fix: 'CREATE INDEX CONCURRENTLY, alone in a migration that runs without a transaction',
  },
  'concurrently-in-transaction': {
    why: 'a CONCURRENTLY statement cannot run inside a transaction block, and a file sent as one query is one',
    fix: 'put it alone in its own migration that runs without a transaction (postgres-migrations: -- postgres-migrations disable-transaction; dbmate: transaction:false)',
  },
  'add-column-not-null-without-default': {
    why: 'adding a NOT NULL column without a default fails on a table that has rows',
    fix: 'add it nullable (or with a default), backfill, then add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, and SET NOT NULL',
  },
  'add-column-rewrites': {
    why: 'a volatile default (or, before PostgreSQL 11, any default) makes PostgreSQL rewrite the whole table under an ACCESS EXCLUSIVE lock',
    fix: 'add the column without the default (or with a constant one), then backfill in batches',
  },
  'alter-column-type-rewrites': {
    why: 'this type change rewrites the whole table under an ACCESS EXCLUSIVE lock',
    fix: 'add a new column of the new type, backfill it in batches, switch the code to it, then drop the old one',
  },
  'set-not-null-without-check': {
    why: 'SET NOT NULL reads the whole table under an ACCESS EXCLUSIVE lock unless a validated CHECK (col IS NOT NULL) proves it',
    fix: 'ADD CONSTRAINT … CHECK (col IS NOT NULL) NOT VALID, then VALIDATE CONSTRAINT, then SET NOT NULL',
  },
  'constraint-without-not-valid': {
    why: 'adding a FOREIGN KEY or CHECK checks every row while it holds a lock that blocks writes',
    fix: 'add it with NOT VALID, then VALIDATE CONSTRAINT in a later statement (it takes a weaker lock)',
  },
  'unique-without-index': {
    why: 'adding a UNIQUE or PRIMARY KEY constraint builds its index under an ACCESS EXCLUSIVE lock',
    fix: 'CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT … UNIQUE USING INDEX',
  },
  'breaking-change': {
    why: 'the code still running during a rolling deploy uses what this drops or renames',
    fix: 'stop using it in a release first, and drop or rename it in a later one (expand, then contract)',
  },
  'lock-timeout': {
    why: 'an ACCESS EXCLUSIVE lock waits behind any long transaction, and every query on the table waits behind it',
    fix: 'set lock_timeout (input settings: lock_timeout=5s, or SET lock_timeout in the file) and retry (input lock-retries)',
  },
  'unbounded-backfill': {
    why: `an UPDATE or DELETE without WHERE on a large table (over ${(100_000).toLocaleString('en')} estimated rows) holds its row locks and bloats it in one transaction`,
    fix: 'backfill in batches (WHERE id BETWEEN …), each in its own transaction',
  },
  'transaction-control': {
    why: 'a migration that runs in a transaction must not begin, commit or roll back one itself',
    fix: 'remove the statement, or run the migration without a transaction',
  },
} as const;

export type RuleName = keyof typeof RULES;

/** The estimated rows above which a backfill without WHERE is a finding. */
export const LARGE_TABLE_ROWS = 100_000;

export interface Finding {
  readonly rule: RuleName;
  /** The migration file as the user writes it. */
  readonly file: string;
  /** Line in the file; undefined when the SQL is not the file's text (Alembic's rendered SQL, a .js file). */
  readonly line?: number;
  readonly statement: string;
  /** One line: where, what, why, and the safe rewrite. */
  readonly message: string;
  /** The message without where (for tables that have a file and line column). */
  readonly detail: string;
  /** Set when a `-- migrate-action:ignore <rule> <reason>` comment silences it: the reason. */
  readonly ignored?: string;
}

type Node = Record<string, unknown>;

/** `-- migrate-action:ignore <rule> <reason>` on one line (a CRLF file's `\r` included). Pure. */
export function ignoreComment(line: string | undefined): { rule: string; reason: string } | undefined {
  const match = /^\s*--\s*migrate-action:ignore\s+([a-z-]+)[ \t]*([^\r\n]*)/.exec(line ?? '');
  return match ? { rule: match[1]!, reason: match[2]!.trim() } : undefined;
}

/** The ignore comments on the lines right above line `line` (1-based), nearest first, one rule each. Pure. */
export function ignoresAbove(lines: readonly string[] | undefined, line: number): Map<string, string> {
  const found = new Map<string, string>();
  for (let i = line - 2; i >= 0; i -= 1) {
    const ignore = ignoreComment(lines?.[i]);
    if (!ignore) break;
    if (!found.has(ignore.rule)) found.set(ignore.rule, ignore.reason || 'no reason given');
  }
  return found;
}

function commands(statement: ReviewedStatement): Node[] {
  if (statement.nodeKind !== 'AlterTableStmt') return [];
  return ((statement.node.cmds as unknown[]) ?? []).map((w) => (w as Node).AlterTableCmd as Node).filter(Boolean);
}

/** The column a `col IS NOT NULL` check is about, else undefined. */
function notNullCheckColumn(expr: unknown): string | undefined {
  const test = (expr as Node | undefined)?.NullTest as Node | undefined;
  if (test?.nulltesttype !== 'IS_NOT_NULL') return undefined;
  const fields = (((test.arg as Node)?.ColumnRef as Node)?.fields as unknown[]) ?? [];
  const last = fields[fields.length - 1] as Node | undefined;
  return (last?.String as Node | undefined)?.sval as string | undefined;
}

export interface LintContext {
  readonly client: pg.Client;
  readonly serverVersion: number;
  readonly settings: readonly Setting[];
  /** The engine: Alembic's SQL is rendered, so a CONCURRENTLY in its own autocommit block is fine. */
  readonly engine: string;
}

/** Every finding of every rule, in the order the migrations run; silenced ones are kept with their reason. */
export async function lintReviews(reviews: readonly MigrationReview[], context: LintContext): Promise<Finding[]> {
  const findings: Finding[] = [];
  // Names as the statements write them, schema added: `orders` and `public.orders` are one table.
  const schema = (await context.client.query<{ s: string | null }>('SELECT current_schema() AS s')).rows[0]?.s ?? 'public';
  const canon = (name: string) => (/^("[^"]*(?:""[^"]*)*"|[^."]+)\./.test(name) ? name : `${quoteIdent(schema)}.${name}`);
  const createdNames = new Set<string>();
  const created = { has: (name: string) => createdNames.has(canon(name)), add: (name: string) => void createdNames.add(canon(name)) };
  /** Checks `col IS NOT NULL` by constraint name: table, column, validated. */
  const checks = new Map<string, { table: string; column: string; validated: boolean }>();
  const timeoutInSettings = context.settings.some((s) => s.name.toLowerCase() === 'lock_timeout');
  for (const review of reviews) {
    const statements = review.statements ?? [];
    const fileLines = review.migration.sql?.split('\n');
    let timeoutInFile = false;
    const meaningful = statements.filter((s) => s.nodeKind !== 'VariableSetStmt' && s.nodeKind !== 'TransactionStmt');
    for (const statement of statements) {
      const table = statement.table;
      const existing = table !== undefined && statement.sizes.has(table) && !created.has(table);
      const ignores = ignoresAbove(fileLines, statement.line);
      const say = (rule: RuleName, what: string) => {
        const line = fileLine(review.migration, statement.line);
        const where = `${review.migration.label}${line === undefined ? '' : `:${line}`}`;
        const detail = `${what} (${rule}): ${RULES[rule].why}; instead, ${RULES[rule].fix}.`;
        findings.push({ rule, file: review.migration.label, line, statement: statement.text, message: `${where}: ${detail}`, detail, ignored: ignores.get(rule) });
      };
      if (statement.nodeKind === 'VariableSetStmt' && String(statement.node.name).toLowerCase() === 'lock_timeout') timeoutInFile = true;
      // CREATE TABLE IF NOT EXISTS of a table that exists makes nothing new.
      if (statement.nodeKind === 'CreateStmt' && table && !(statement.node.if_not_exists === true && (await exists(context.client, table)))) created.add(table);

      const concurrent =
        statement.node.concurrent === true || JSON.stringify(statement.node.params ?? []).includes('"concurrently"');
      if (concurrent && context.engine !== 'alembic' && (review.migration.transaction !== false || meaningful.length > 1)) {
        say('concurrently-in-transaction', `${statement.kind} ${review.migration.transaction !== false ? 'in a migration that runs in a transaction' : 'beside other statements'}`);
      }
      if (statement.nodeKind === 'IndexStmt' && !concurrent && existing) say('create-index-not-concurrently', `${statement.kind} on ${table}`);
      if (statement.nodeKind === 'TransactionStmt' && review.migration.transaction === true) say('transaction-control', statement.text);
      for (const cmd of commands(statement)) {
        const def = cmd.def as Node | undefined;
        switch (cmd.subtype) {
          case 'AT_AddColumn': {
            const constraints = ((((def?.ColumnDef as Node) ?? {}).constraints as unknown[]) ?? []).map((w) => (w as Node).Constraint as Node);
            const has = (type: string) => constraints.some((c) => c?.contype === type);
            if (existing && has('CONSTR_NOTNULL') && !has('CONSTR_DEFAULT') && !has('CONSTR_IDENTITY') && !has('CONSTR_GENERATED')) {
              say('add-column-not-null-without-default', `ADD COLUMN ${String((def?.ColumnDef as Node)?.colname)} NOT NULL on ${table}`);
            }
            if (existing && addColumnRewrites(cmd, context.serverVersion)) say('add-column-rewrites', `ADD COLUMN ${String((def?.ColumnDef as Node)?.colname)} on ${table}`);
            break;
          }
          case 'AT_AlterColumnType':
            if (existing && statement.rewrites) say('alter-column-type-rewrites', `ALTER COLUMN ${String(cmd.name)} TYPE on ${table}`);
            break;
          case 'AT_AddConstraint': {
            const constraint = (def?.Constraint as Node) ?? {};
            const column = constraint.contype === 'CONSTR_CHECK' ? notNullCheckColumn(constraint.raw_expr) : undefined;
            if (column && table && typeof constraint.conname === 'string') {
              checks.set(constraint.conname, { table: canon(table), column, validated: constraint.skip_validation !== true });
            }
            if (existing && (constraint.contype === 'CONSTR_FOREIGN' || constraint.contype === 'CONSTR_CHECK') && constraint.skip_validation !== true) {
              say('constraint-without-not-valid', `ADD ${constraint.contype === 'CONSTR_FOREIGN' ? 'FOREIGN KEY' : 'CHECK'} on ${table}`);
            }
            if (existing && (constraint.contype === 'CONSTR_UNIQUE' || constraint.contype === 'CONSTR_PRIMARY') && constraint.indexname === undefined) {
              say('unique-without-index', `ADD ${constraint.contype === 'CONSTR_UNIQUE' ? 'UNIQUE' : 'PRIMARY KEY'} on ${table}`);
            }
            break;
          }
          case 'AT_ValidateConstraint': {
            const check = checks.get(String(cmd.name));
            if (check) checks.set(String(cmd.name), { ...check, validated: true });
            break;
          }
          case 'AT_SetNotNull': {
            const column = String(cmd.name);
            const proven = [...checks.values()].some((c) => c.table === canon(table ?? '') && c.column === column && c.validated);
            if (existing && !proven && !(context.serverVersion >= 120_000 && (await validatedNotNullCheck(context.client, table!, column)))) {
              say('set-not-null-without-check', `SET NOT NULL on ${table}.${column}`);
            }
            break;
          }
          case 'AT_DropColumn':
            if (!created.has(table ?? '')) say('breaking-change', `DROP COLUMN ${String(cmd.name)} on ${table}`);
            break;
        }
      }
      if (statement.nodeKind === 'DropStmt' && statement.node.removeType === 'OBJECT_TABLE' && !created.has(table ?? '')) say('breaking-change', statement.kind + (table ? ` ${table}` : ''));
      if (statement.nodeKind === 'RenameStmt' && ['OBJECT_COLUMN', 'OBJECT_TABLE'].includes(String(statement.node.renameType)) && !created.has(table ?? '')) {
        say('breaking-change', `${statement.kind} on ${table}`);
      }
      const exclusive = statement.locks.some((l) => l.mode === 'AccessExclusiveLock' && statement.sizes.has(l.relation) && !created.has(l.relation));
      if (exclusive && !timeoutInSettings && !timeoutInFile) say('lock-timeout', `${statement.kind} takes ACCESS EXCLUSIVE on ${statement.locks.find((l) => l.mode === 'AccessExclusiveLock')!.relation}`);
      if ((statement.nodeKind === 'UpdateStmt' || statement.nodeKind === 'DeleteStmt') && statement.node.whereClause === undefined && table) {
        const rows = statement.sizes.get(table)?.rows;
        if (rows !== undefined && rows > LARGE_TABLE_ROWS) say('unbounded-backfill', `${statement.kind} of every row of ${table} (~${Math.round(rows).toLocaleString('en')} rows)`);
      }
    }
  }
  return findings;
}

async function exists(client: pg.Client, table: string): Promise<boolean> {
  return (await client.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [table])).rows[0]?.found === true;
}

/** Whether the table has a validated CHECK (col IS NOT NULL) already (PostgreSQL 12+ then skips the scan). */
async function validatedNotNullCheck(client: pg.Client, table: string, column: string): Promise<boolean> {
  const { rows } = await client.query<{ def: string }>(
    "SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = to_regclass($1) AND contype = 'c' AND convalidated",
    [table],
  );
  return rows.some((r) => r.def === `CHECK ((${quoteIdent(column)} IS NOT NULL))`);
}
