import { messageOf, type FileLocation } from '../errors.js';
import { isConnectionError } from '../db/session.js';

/**
 * Which statement of a migration failed: the file's own SQL, or one of ours around it. Who is to blame,
 * and what to do, depend on it: a syntax error in the file is the file's, a refused INSERT into the
 * migrations table or a lost connection is not, and the file has no line to point at then.
 */
export type Phase = 'sql' | 'record' | 'commit' | 'restore';

/** A rejected statement, tagged with the phase it belonged to. */
export class StepFailed extends Error {
  readonly phase: Phase;

  constructor(phase: Phase, cause: unknown) {
    super(messageOf(cause), { cause });
    this.name = 'StepFailed';
    this.phase = phase;
  }
}

/** Tag a statement's failure with its phase (for settled() to report the first in order). */
export function step<T>(phase: Phase, query: Promise<T>): Promise<T> {
  return query.catch((error: unknown) => {
    throw error instanceof StepFailed ? error : new StepFailed(phase, error);
  });
}

/** The fields of a PostgreSQL error that we keep for the report. */
export interface PgErrorFields {
  readonly code?: string;
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
  readonly position?: number;
  readonly where?: string;
  /** For a not-null violation: the column. */
  readonly column?: string;
}

export function pgFields(error: unknown): PgErrorFields {
  const e = error as Partial<Record<'code' | 'detail' | 'hint' | 'position' | 'where' | 'column', string>>;
  const position = e.position === undefined ? undefined : Number.parseInt(e.position, 10);
  return {
    code: typeof e.code === 'string' ? e.code : undefined,
    message: messageOf(error),
    detail: e.detail || undefined,
    hint: e.hint || undefined,
    position: Number.isFinite(position) ? position : undefined,
    where: e.where || undefined,
    column: e.column || undefined,
  };
}

/** 1-based line and column of a 1-based character position (PostgreSQL counts characters, not bytes). Pure. */
export function lineAndColumn(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let column = 1;
  let index = 0;
  for (const char of text) {
    index += 1;
    if (index >= position) break;
    if (char === '\n') {
      line += 1;
      column = 1;
    } else {
      column += 1;
    }
  }
  return { line, column };
}

/** What a SQLSTATE says about the cause, and the fix; `file` when the file itself must change. Pure. */
export function adviceFor(code: string | undefined): { readonly file: boolean; readonly advice: string } {
  const c = code ?? '';
  if (c === '42501') {
    return {
      file: false,
      advice:
        'The database user lacks a privilege this statement needs: grant it, or run migrations as a role that has it (the file may be right as it is).',
    };
  }
  if (c === '25006') {
    return { file: false, advice: 'The database is read-only (a standby, or default_transaction_read_only is on): point database-url at the primary.' };
  }
  if (c === '57014') {
    return {
      file: false,
      advice: 'The statement was cancelled (statement_timeout in settings, or an administrator): raise statement_timeout, or split the work into smaller migrations.',
    };
  }
  if (c === '55P03') {
    return {
      file: false,
      advice: 'Another session held a lock this statement needs for longer than lock_timeout: run again when it is free, or set lock-retries.',
    };
  }
  if (c === '40P01' || c === '40001') {
    return { file: false, advice: 'It conflicted with another session (a deadlock or a serialization failure): run again.' };
  }
  if (c.startsWith('53')) {
    return { file: false, advice: 'The server ran out of resources (disk, memory or connections): fix the server, then run again.' };
  }
  if (c.startsWith('58') || c.startsWith('XX')) {
    return { file: false, advice: 'The server reported a system or internal error: check its log, then run again.' };
  }
  return { file: true, advice: 'Fix the file and run again.' };
}

export interface FailureContext {
  readonly label: string;
  readonly kind: 'sql' | 'js';
  /** The built-in migration that creates the table (no file of the user's). */
  readonly builtIn: boolean;
  readonly transaction: boolean;
  /** The SQL as sent, to turn a position into a line. */
  readonly sql: string;
  readonly attempts: number;
}

export interface ExplainedFailure {
  readonly message: string;
  readonly location?: FileLocation;
  readonly fields: PgErrorFields;
}

/**
 * One line that says what failed, where, what became of the migration, and the fix; blamed on the file
 * only when the file's own statement failed for a reason the file can fix. Pure.
 */
export function explainFailure(ctx: FailureContext, phase: Phase, error: unknown): ExplainedFailure {
  const fields = pgFields(error);
  const lost = isConnectionError(error);
  const what = `${fields.code ? `${fields.code} ` : ''}${fields.message}`;
  const extra = [fields.detail ? `Detail: ${fields.detail}` : '', fields.hint ? `Hint: ${fields.hint}` : '', ctx.attempts > 1 ? `(after ${ctx.attempts} attempts)` : ''];

  if (ctx.builtIn) {
    const advice =
      fields.code === '42501'
        ? 'The database user cannot create a table in the first schema of its search_path: grant it CREATE on that schema, or set search_path (settings input, or the role) to a schema it can create in.'
        : lost
          ? 'The connection ended: run again when the database is back.'
          : adviceFor(fields.code).advice.replace('Fix the file and run again.', 'Check the database user and search_path, then run again.');
    return { message: sentence(['Could not create the migrations table: ' + what, ...extra, 'Nothing was applied.', advice]), fields };
  }

  if (lost) {
    const outcome =
      phase === 'commit'
        ? `The connection ended while ${ctx.label} was being committed, so it may or may not be applied; the next run reads the migrations table and knows.`
        : phase === 'restore'
          ? `${ctx.label} was applied before the connection ended.`
          : ctx.transaction
            ? `${ctx.label} was not committed, so the server rolled it back.`
            : `${ctx.label} runs without a transaction, so statements of it may have taken effect; check the database.`;
    return {
      message: sentence([
        `Lost the database connection that holds the migration lock while applying ${ctx.label}: ${what}`,
        outcome,
        'The lock went with the connection, so nothing more is applied. Run again when the database is back.',
      ]),
      fields,
    };
  }

  if (phase === 'record') return explainRecordFailure(ctx, fields, what, extra);

  if (phase === 'restore') {
    return {
      message: sentence([
        `${ctx.label} was applied, but setting the session back afterwards failed: ${what}`,
        'Nothing after it ran. Run again to apply the rest.',
      ]),
      location: { file: ctx.label },
      fields,
    };
  }

  const { file, advice } = adviceFor(fields.code);
  const at = phase === 'sql' && fields.position !== undefined ? lineAndColumn(ctx.sql, fields.position) : undefined;
  const where = at === undefined ? (phase === 'commit' ? ' at COMMIT' : '') : ctx.kind === 'js' ? ` at line ${at.line} of the SQL from generateSql()` : ` at line ${at.line}, column ${at.column}`;
  const outcome = ctx.transaction
    ? 'It was rolled back; migrations before it stay applied and none after it ran.'
    : file
      ? 'It ran without a transaction, so statements before the failing one may have taken effect; check the database, then fix the file and run again.'
      : 'It ran without a transaction, so statements before the failing one may have taken effect; check the database.';
  return {
    message: sentence([`Migration ${ctx.label} failed${where}: ${what}`, ...extra, outcome, file && !ctx.transaction ? '' : advice]),
    location: { file: ctx.label, line: at?.line, column: at?.column },
    fields,
  };
}

/** Our INSERT into the migrations table failed, after the file's SQL succeeded. */
function explainRecordFailure(ctx: FailureContext, fields: PgErrorFields, what: string, extra: readonly string[]): ExplainedFailure {
  const location = { file: ctx.label };
  let outcome = ctx.transaction
    ? 'It was rolled back with it; migrations before it stay applied and none after it ran.'
    : 'It ran without a transaction, so it took effect but is not recorded: a rerun runs it again, so make it safe to rerun (IF NOT EXISTS) or check the database first.';
  let cause: string;
  if (fields.code === '23502' && fields.column === 'name') {
    // Our own guard (apply.ts): the transaction is not the one it should be.
    return {
      message: ctx.transaction
        ? sentence([
            `Migration ${ctx.label} ended the transaction it runs in (a COMMIT, ROLLBACK, END, ABORT or PREPARE TRANSACTION, perhaps in a procedure it calls).`,
            'What it did before that statement was committed or undone by it, and what came after ran outside the migration: check the database.',
            'It was not recorded as applied, and nothing after it ran.',
            'Remove that statement, or mark the file with -- postgres-migrations disable-transaction.',
          ])
        : sentence([
            `Migration ${ctx.label} runs without a transaction (disable-transaction) but left one open (a BEGIN without its COMMIT).`,
            'That transaction was rolled back with everything in it, and the migration was not recorded as applied; nothing after it ran.',
            'End the transaction in the file (COMMIT), or remove the BEGIN.',
          ]),
      location,
      fields,
    };
  } else if (fields.code === '23502' && fields.column === 'hash') {
    outcome = ctx.transaction ? 'It was rolled back, and not recorded as applied.' : 'It ran without a transaction, so it took effect but is not recorded.';
    return {
      message: sentence([
        `Migration ${ctx.label} did not run in the server session that holds the migration lock: a connection pooler in transaction mode moved it`,
        outcome,
        'Use the direct URL of the database for migrations (a pooler in session mode also works).',
      ]),
      location,
      fields,
    };
  } else if (fields.code === '42501') {
    cause = 'The database user may not write the migrations table: grant it INSERT on that table (or run migrations as its owner).';
  } else if (fields.code === '42P01') {
    cause = 'The migrations table is gone at the end of the file: a migration must not drop or rename it.';
  } else if (fields.code === '23505' && /name/.test(String((fields as { constraint?: string }).constraint ?? fields.message))) {
    cause = 'Another migration already has this name in the migrations table (names must be unique): rename the file.';
  } else if (fields.code === '23505') {
    cause = 'Another run recorded this migration at the same time, so the migration lock did not keep them apart: use the direct URL of the database, not a pooler.';
  } else {
    cause = adviceFor(fields.code).advice.replace('Fix the file and run again.', 'Check the migrations table and the database user, then run again.');
  }
  return {
    message: sentence([`Migration ${ctx.label} ran, but recording it in the migrations table failed: ${what}`, ...extra, outcome, cause]),
    location,
    fields,
  };
}

/** Parts joined into one line, each ending in a full stop. */
function sentence(parts: readonly string[]): string {
  return parts
    .filter(Boolean)
    .map((part) => (/[.!?)]$/.test(part) ? part : `${part}.`))
    .join(' ')
    .replace(/\s*\n\s*/g, ' ');
}
