import { describeEndpoint } from './db/connect.js';
import type { OutputName } from './inputs.js';
import { describeStatement, fileLine, type MigrationReview } from './review/describe.js';
import type { Finding } from './review/rules.js';
import type { ShadowReport, ShadowStatement } from './review/shadow.js';
import type { PlannedEntry, Revision, RunResult } from './run.js';

/**
 * How many file names the `applied` and `pending` outputs hold at most (the first ones, in id order):
 * step outputs have size limits of their own, and 100,000 names would pass them. The counts are exact.
 */
export const MAX_LISTED_IN_OUTPUT = 1_000;

/** The review's findings that no ignore comment silenced. Pure. */
function activeFindings(result: RunResult): Finding[] {
  return (result.findings ?? []).filter((f) => !f.ignored);
}

/** The step outputs of a result; every output is set, on failure too. Pure. */
export function toOutputs(result: RunResult): Record<OutputName, string> {
  return {
    status: result.status,
    revision: result.revision?.id ?? '',
    'revision-name': result.revision?.name ?? '',
    'previous-revision': result.previous?.id ?? '',
    'applied-count': String(result.applied.length),
    applied: JSON.stringify(result.applied.slice(0, MAX_LISTED_IN_OUTPUT).map((a) => a.fileName)),
    'pending-count': result.pending ? String(result.pending.length) : '',
    pending: result.pending ? JSON.stringify(result.pending.slice(0, MAX_LISTED_IN_OUTPUT)) : '',
    'rolled-back-count': String(result.rolledBack?.length ?? 0),
    'rolled-back': JSON.stringify((result.rolledBack ?? []).slice(0, MAX_LISTED_IN_OUTPUT).map((a) => a.fileName)),
    'backup-path': result.backup?.path ?? '',
    'findings-count': String(activeFindings(result).length),
    findings: JSON.stringify(
      activeFindings(result)
        .slice(0, MAX_LISTED_IN_OUTPUT)
        .map(({ rule, file, line, statement, message }) => ({ rule, file, line: line ?? null, statement, message })),
    ),
    error: result.error?.message ?? '',
  };
}

function title(result: RunResult): string {
  switch (result.status) {
    case 'applied':
      return '✅ Migrations applied';
    case 'up-to-date':
      if (result.command === 'rollback') return '✅ Nothing to roll back';
      return result.command === 'apply' || result.command === 'status' ? '✅ Database up to date' : '✅ Nothing pending';
    case 'pending':
      if (result.command === 'rollback') return '📋 Rollback dry run: migrations to undo';
      return result.command === 'check'
        ? '❌ Migrations pending: the database is behind'
        : result.command === 'status'
          ? '📋 Database status: migrations pending'
          : '📋 Migrations to apply';
    case 'baselined':
      return '✅ Database baselined';
    case 'rolled-back':
      return '↩️ Migrations rolled back';
    case 'failed':
      return `❌ ${result.command === 'apply' ? 'Migration' : result.command[0]!.toUpperCase() + result.command.slice(1)} failed`;
  }
}

/** Longest SQL shown per file (the rest of the summary's budget is shared, see MAX_SUMMARY_BYTES). */
const MAX_SQL_PER_FILE = 20_000;

/** The longest run of backticks in `text` (0 when none). Pure. */
function longestBacktickRun(text: string): number {
  return Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
}

/** A code fence longer than any run of backticks in `text`. */
function fenceFor(text: string): string {
  return '`'.repeat(Math.max(3, longestBacktickRun(text) + 1));
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

/** Text as HTML shows it, on one line: in an HTML block (`<details>`), where markdown is not read. Pure. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r\n|\r|\n/g, ' ');
}

/** escapeHtml, and no column break in a table: what a code span's text needs (backslashes show there). */
function cellText(text: string): string {
  return escapeHtml(text).replace(/\|/g, '\\|');
}

/**
 * Text for a markdown table cell, heading or line: no HTML, no column breaks, one line, and no code span,
 * link or image of its own (a file or table name may hold `` ` ``, `[` or `]`). Pure.
 */
export function escapeMarkdown(text: string): string {
  return cellText(text.replace(/[\\`[\]]/g, '\\$&'));
}

/**
 * A code span of `text`: delimited by more backticks than any run inside it, so that a name holding
 * backticks cannot close it and go on as markdown. Pure.
 */
export function codeSpan(text: string): string {
  const inner = cellText(text);
  const fence = '`'.repeat(longestBacktickRun(inner) + 1);
  const pad = inner.startsWith('`') || inner.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${inner}${pad}${fence}`;
}

function revisionText(revision: Revision | undefined): string {
  if (!revision) return 'unknown';
  if (revision.none) return revision.id === '' ? 'none' : `${escapeMarkdown(revision.id)} (none)`;
  return revision.name === '' ? escapeMarkdown(revision.id) : `${escapeMarkdown(revision.id)} (${escapeMarkdown(revision.name)})`;
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * GitHub drops a job summary over 1 MiB; we stay well under it, whatever the number of files: the
 * lists (SQL of pending files, applied, pending, recorded) are cut where the budget ends, with a line
 * that says how many were left out. Counts in the table above stay exact; the log has every name.
 */
export const MAX_SUMMARY_BYTES = 900 * 1024;

/** How large the text may be, and what it is called in the line that says what was left out. */
export interface TextLimit {
  readonly maxBytes: number;
  /** `summary`, `comment`. */
  readonly what: string;
}

/** The job summary: what a reviewer wants to see after a deploy's migration step. Pure. */
export function renderSummary(result: RunResult, limit: TextLimit = { maxBytes: MAX_SUMMARY_BYTES, what: 'summary' }): string {
  const head: string[] = [];
  head.push(`## ${title(result)}`, '');
  head.push('| | |', '|---|---|');
  if (result.endpoint) head.push(`| Database | ${codeSpan(describeEndpoint(result.endpoint))} |`);
  if (result.engine) head.push(`| Engine | ${result.engine} |`);
  head.push(`| Command | \`${result.command}\` |`);
  head.push(`| Status | \`${result.status}\` |`);
  if (result.targetRevision !== undefined) head.push(`| Target revision | ${escapeMarkdown(result.targetRevision)} |`);
  const before = revisionText(result.previous);
  const after = revisionText(result.revision);
  head.push(`| Revision | ${before === after ? after : `${before} → ${after}`} |`);
  if (result.command === 'rollback') head.push(`| Rolled back | ${result.rolledBack?.length ?? 0} |`);
  else head.push(`| Applied | ${result.applied.length} |`);
  head.push(`| Pending | ${result.pending ? result.pending.length : 'unknown'} |`);
  if (result.backup) head.push(`| Backup | ${codeSpan(result.backup.path)} |`);
  head.push(`| Duration | ${formatDuration(result.durationMs)} |`);
  head.push('');

  // A rollback shows its backup (and how to restore it) right after what it undid; other commands here.
  const backup: string[] = [];
  if (result.backup) {
    const b = result.backup;
    backup.push('### Backup', '');
    backup.push('| | |', '|---|---|');
    backup.push(`| File | ${codeSpan(b.path)} |`);
    backup.push(`| Size | ${formatBytes(b.sizeBytes)} |`);
    backup.push(`| Duration | ${formatDuration(b.durationMs)} |`);
    backup.push(`| pg_dump | ${escapeMarkdown(b.pgDump.version)} (${codeSpan(b.pgDump.path)}) |`);
    if (result.backupsRemoved && result.backupsRemoved.length > 0) {
      const names = result.backupsRemoved.slice(0, 50).map((file) => codeSpan(file.split('/').pop()!));
      backup.push(`| Older dumps removed (backup-retention) | ${names.join(', ')}${result.backupsRemoved.length > 50 ? ` and ${result.backupsRemoved.length - 50} more` : ''} |`);
    }
    backup.push('', 'Restore (on the runner that holds the file, with `DATABASE_URL` set):', '', '```sh', b.restoreCommand, '```', '');
  }
  if (result.command !== 'rollback') head.push(...backup);

  const error: string[] = [];
  if (result.error) {
    const where = result.error.location;
    error.push('### Error', '');
    if (where) {
      const at = where.line === undefined ? '' : `, line ${where.line}${where.column === undefined ? '' : `, column ${where.column}`}`;
      error.push(`**${codeSpan(where.file)}${at}**`, '');
    }
    error.push('```text', result.error.message.replace(/```/g, "'''").slice(0, 20_000), '```', '');
    const pg = result.error.pg;
    if (pg?.code) {
      error.push(`PostgreSQL error code ${codeSpan(pg.code)}.`, '');
    }
    error.push('The deploy that depends on this step will not run.', '');
  }

  // postgres-migrations says "without a transaction" with a marker line in the file: name it.
  const marker = result.engine === undefined || result.engine === 'postgres-migrations' ? ' (disable-transaction)' : '';
  let budget = limit.maxBytes - bytes(head) - bytes(error) - (result.command === 'rollback' ? bytes(backup) : 0);
  /** A titled list of blocks, as many as fit in what is left of the budget, then how many were left out. */
  const section = (heading: string[], blocks: readonly string[][], what: string): string[] => {
    if (blocks.length === 0) return [];
    const out = [...heading];
    budget -= bytes(heading);
    let shown = 0;
    for (const block of blocks) {
      const size = bytes(block);
      if (size > budget - 200) break;
      out.push(...block);
      budget -= size;
      shown += 1;
    }
    if (shown < blocks.length) {
      const note = `(${blocks.length - shown} more ${what} not shown here, to keep this ${limit.what} under GitHub's size limit; the log lists them all.)`;
      out.push('', note, '');
      budget -= note.length + 2;
    }
    out.push('');
    return out;
  };

  const history = section(
    ['### Applied migrations', '', '| Id | File | Applied at |', '|---|---|---|'],
    (result.history ?? []).map((entry) => [
      `| ${escapeMarkdown(entry.id)} | ${codeSpan(entry.fileName)} | ${entry.appliedAt ? escapeMarkdown(entry.appliedAt) : 'not recorded by the engine'} |`,
    ]),
    'applied migrations',
  );
  const planned = section(
    [`### ${result.command === 'check' || result.command === 'status' ? 'Pending' : 'apply would run'}`, ''],
    (result.planned ?? []).map((entry) => [
      ...sqlDetails(entry, marker, '', 'the engine does not say what SQL this runs'),
      ...reviewTable(result.review?.find((r) => r.migration.id === entry.id), result.shadow, entry),
    ]),
    'pending migrations',
  );
  const shadowNote = result.shadow ? [shadowLine(result.shadow), ''] : [];
  const undo = section(
    ['### rollback would undo', '', 'Latest first; nothing was changed and no lock was taken.', ''],
    (result.undo ?? []).map(({ migration, drops }) => {
      const dropped =
        drops === undefined
          ? migration.sql === undefined
            ? ''
            : ' — its SQL could not be parsed: read it'
          : drops.length === 0
            ? ' — drops nothing'
            : ` — **drops ${escapeHtml(drops.slice(0, 20).join(', '))}${drops.length > 20 ? ` and ${drops.length - 20} more` : ''}**`;
      return sqlDetails(migration, marker, dropped, 'the engine does not say what SQL undoes this');
    }),
    'migrations to undo',
  );
  const rolledBack = section(
    ['### Rolled back', '', 'Latest first.', '', '| Id | Undone with | Transaction | Duration |', '|---:|---|---|---:|'],
    (result.rolledBack ?? []).map((entry) => [
      `| ${escapeMarkdown(entry.id)} | ${codeSpan(entry.label)} | ${entry.transaction === undefined ? 'as the engine runs it' : entry.transaction ? 'yes' : `no${marker}`} | ${entry.durationMs === undefined ? 'not timed one by one' : formatDuration(entry.durationMs)} |`,
    ]),
    'rolled-back migrations',
  );
  const findings = section(
    ['### Review findings', '', '| File | Line | Rule | Finding |', '|---|---:|---|---|'],
    activeFindings(result).map((f) => [
      `| ${codeSpan(f.file)} | ${f.line ?? ''} | \`${f.rule}\` | ${escapeMarkdown(f.detail)} |`,
    ]),
    'findings',
  );
  const silenced = section(
    ['### Silenced findings', '', '| File | Line | Rule | Reason |', '|---|---:|---|---|'],
    (result.findings ?? [])
      .filter((f) => f.ignored)
      .map((f) => [`| ${codeSpan(f.file)} | ${f.line ?? ''} | \`${f.rule}\` | ${escapeMarkdown(f.ignored!)} |`]),
    'silenced findings',
  );
  const baselined = section(
    ['### Recorded as applied (not run)', ''],
    (result.baselined ?? []).map((name) => [`- ${codeSpan(name)}`]),
    'recorded migrations',
  );
  const applied = section(
    ['### Applied', '', '| Id | File | Transaction | Duration |', '|---:|---|---|---:|'],
    result.applied.map((entry) => [
      `| ${escapeMarkdown(entry.id)} | ${codeSpan(entry.label)} | ${entry.transaction === undefined ? 'as the engine runs it' : entry.transaction ? 'yes' : `no${marker}`} | ${entry.durationMs === undefined ? 'not timed one by one' : formatDuration(entry.durationMs)} |`,
    ]),
    'applied migrations',
  );
  const pending = section(
    ['### Still pending', ''],
    (result.pending ?? []).map((name) => [`- ${codeSpan(name)}`]),
    'pending migrations',
  );
  const backupAfter = result.command === 'rollback' ? backup : [];
  return [...head, ...findings, ...silenced, ...history, ...shadowNote, ...planned, ...undo, ...baselined, ...applied, ...rolledBack, ...backupAfter, ...error, ...pending].join('\n');
}

/** Where a plan comment is posted from, for its last line. */
export interface CommentContext {
  /** The migrations as the user named them (migrations-dir, or alembic-config). */
  readonly migrations: string;
  /** The head commit the plan is for. */
  readonly commit?: string;
  /** The job's page. */
  readonly jobUrl?: string;
  readonly maxBytes: number;
}

/**
 * The plan as a pull or merge request comment: the summary within the comment's size, and a last line
 * that says what it is about and where it comes from (it is replaced on every push). Pure.
 */
export function renderComment(result: RunResult, context: CommentContext): string {
  const footer = [
    '',
    `<sub>migrate-action ${result.command} of <code>${escapeMarkdown(context.migrations)}</code>` +
      (context.commit ? ` at ${context.commit.slice(0, 12)}` : '') +
      (context.jobUrl ? ` · [job](${context.jobUrl.replace(/\(/g, '%28').replace(/\)/g, '%29')})` : '') +
      ' · updated on every push</sub>',
  ];
  return [renderSummary(result, { maxBytes: context.maxBytes - bytes(footer), what: 'comment' }), ...footer].join('\n');
}

/** What a pending migration's statements lock, for the plan: a table per file, or why it is not known. Pure. */
function reviewTable(review: MigrationReview | undefined, shadow: ShadowReport | undefined, migration: { readonly id: string }): string[] {
  const notRun = shadow?.notRun.find((n) => n.migration.id === migration.id);
  const skipped = notRun ? [`On the shadow copy: ${escapeMarkdown(notRun.why)}.`, ''] : [];
  if (!review) return skipped;
  if (!review.statements) return [`What it locks is not known before it runs: ${escapeMarkdown(review.note ?? '')}.`, '', ...skipped];
  const verdicts = new Map((shadow?.statements ?? []).filter((s) => s.migration.id === migration.id).map((s) => [s.index, s]));
  const rows = review.statements
    .map((statement, index) => ({ statement, shadowed: verdicts.get(index) }))
    .filter(({ statement, shadowed }) => statement.locks.length > 0 || statement.rewrites || shadowed?.verdict.kind === 'mismatch');
  if (rows.length === 0) return ['It takes no table lock.', '', ...skipped];
  const extra = shadow ? ' On the shadow copy |' : '';
  return [
    `| Line | Statement | Locks, and what they block |${extra}`,
    `|---:|---|---|${shadow ? '---|' : ''}`,
    ...rows
      .slice(0, 200)
      .map(
        ({ statement, shadowed }) =>
          `| ${fileLine(review.migration, statement.line) ?? ''} | ${escapeMarkdown(statement.kind)} | ${escapeMarkdown(describeStatement(statement, formatBytes))} |` +
          (shadow ? ` ${shadowed ? escapeMarkdown(verdictText(shadowed)) : shadow.engineRun ? `applied by ${escapeMarkdown(shadow.engineRun.engine)}, not watched` : 'not run'} |` : ''),
      ),
    ...(rows.length > 200 ? [`| | (${rows.length - 200} more statements; the log lists them) | |${shadow ? ' |' : ''}`] : []),
    '',
    ...skipped,
  ];
}

/** A shadow verdict in a cell: `confirmed`, `**mismatch**: …`, `not observed: …`. Pure. */
function verdictText({ verdict, observed }: ShadowStatement): string {
  if (verdict.kind === 'confirmed') return 'confirmed';
  if (verdict.kind === 'mismatch') return `**mismatch**: ${verdict.detail}`;
  return `not observed: ${verdict.why}${observed ? ` (saw ${observed})` : ''}`;
}

/** The shadow run in one line, for the plan's summary. Pure. */
function shadowLine(shadow: ShadowReport): string {
  if (shadow.engineRun) {
    const { engine, applied, why } = shadow.engineRun;
    return (
      `${escapeMarkdown(engine)} applied the ${applied} pending migration(s) on a copy of the schema (${shadow.tables} tables) in the shadow database at ${escapeMarkdown(shadow.shadow)}, then it was emptied again: ` +
      `${escapeMarkdown(why)}, so the engine itself ran them, and their statements were not watched one by one.`
    );
  }
  const count = (kind: string) => shadow.statements.filter((s) => s.verdict.kind === kind).length;
  return (
    `The pending statements ran one by one on a copy of the schema (${shadow.tables} tables) in the shadow database at ${escapeMarkdown(shadow.shadow)}, ` +
    `then emptied again: ${count('confirmed')} confirmed, ${count('mismatch')} mismatch, ${count('not observed')} not observed` +
    `${shadow.notRun.length > 0 ? `, ${shadow.notRun.length} migration(s) not run` : ''}.`
  );
}

/**
 * A migration's SQL folded under its label, with how it runs (and `extra` after it in the summary line);
 * the note in place of SQL the engine cannot tell before it runs. Pure.
 */
function sqlDetails(migration: PlannedEntry, marker: string, extra: string, unknown: string): string[] {
  const mode = migration.transaction === undefined ? '' : migration.transaction ? ', in a transaction' : `, **without a transaction**${marker}`;
  const sql = migration.sql ?? `-- ${migration.sqlNote ?? unknown}`;
  const shown = sql.length > MAX_SQL_PER_FILE ? sql.slice(0, MAX_SQL_PER_FILE) : sql;
  const fence = fenceFor(shown);
  const block = [`<details><summary><code>${escapeHtml(migration.label)}</code>${mode}${extra}</summary>`, '', `${fence}sql`, shown.replace(/\n$/, ''), fence];
  if (shown.length < sql.length) block.push('', `(${sql.length - shown.length} more characters not shown)`);
  block.push('', '</details>', '');
  return block;
}

/** UTF-8 size of lines joined by newlines. */
function bytes(lines: readonly string[]): number {
  let total = 0;
  for (const line of lines) total += Buffer.byteLength(line, 'utf8') + 1;
  return total;
}
