import { describeEndpoint } from './db/connect.js';
import type { OutputName } from './inputs.js';
import type { RunResult } from './run.js';
import type { Revision } from './migrations/state.js';

/** The step outputs of a result; every output is set, on failure too. Pure. */
export function toOutputs(result: RunResult): Record<OutputName, string> {
  return {
    status: result.status,
    revision: result.revision ? String(result.revision.id) : '',
    'revision-name': result.revision?.name ?? '',
    'previous-revision': result.previous ? String(result.previous.id) : '',
    'applied-count': String(result.applied.length),
    applied: JSON.stringify(result.applied.map((a) => a.fileName)),
    'pending-count': result.pending ? String(result.pending.length) : '',
    pending: result.pending ? JSON.stringify(result.pending) : '',
    'backup-path': result.backup?.path ?? '',
    error: result.error?.message ?? '',
  };
}

function title(result: RunResult): string {
  switch (result.status) {
    case 'applied':
      return '✅ Migrations applied';
    case 'up-to-date':
      return result.command === 'apply' ? '✅ Database up to date' : '✅ Nothing to apply';
    case 'pending':
      return result.command === 'check' ? '❌ Migrations pending: the database is behind' : '📋 Migrations to apply';
    case 'baselined':
      return '✅ Database baselined';
    case 'failed':
      return `❌ ${result.command === 'apply' ? 'Migration' : result.command[0]!.toUpperCase() + result.command.slice(1)} failed`;
  }
}

/** Longest SQL shown per file and in all, so the summary stays under GitHub's 1 MiB per step. */
const MAX_SQL_PER_FILE = 20_000;
const MAX_SQL_TOTAL = 400_000;

/** A code fence longer than any run of backticks in `text`. */
function fenceFor(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  return '`'.repeat(Math.max(3, longest + 1));
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

/** Text for a markdown table cell or heading: no HTML, no column breaks, one line. */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, ' ');
}

function revisionText(revision: Revision | undefined): string {
  if (!revision) return 'unknown';
  return revision.id === 0 ? '0 (none)' : `${revision.id} (${escapeMarkdown(revision.name)})`;
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** The job summary: what a reviewer wants to see after a deploy's migration step. Pure. */
export function renderSummary(result: RunResult): string {
  const lines: string[] = [];
  lines.push(`## ${title(result)}`, '');
  lines.push('| | |', '|---|---|');
  if (result.endpoint) lines.push(`| Database | \`${escapeMarkdown(describeEndpoint(result.endpoint))}\` |`);
  lines.push(`| Command | \`${result.command}\` |`);
  lines.push(`| Status | \`${result.status}\` |`);
  if (result.targetRevision !== undefined) lines.push(`| Target revision | ${result.targetRevision} |`);
  const before = revisionText(result.previous);
  const after = revisionText(result.revision);
  lines.push(`| Revision | ${before === after ? after : `${before} → ${after}`} |`);
  lines.push(`| Applied | ${result.applied.length} |`);
  lines.push(`| Pending | ${result.pending ? result.pending.length : 'unknown'} |`);
  if (result.backup) lines.push(`| Backup | \`${escapeMarkdown(result.backup.path)}\` |`);
  lines.push(`| Duration | ${formatDuration(result.durationMs)} |`);
  lines.push('');

  if (result.backup) {
    const b = result.backup;
    lines.push('### Backup', '');
    lines.push('| | |', '|---|---|');
    lines.push(`| File | \`${escapeMarkdown(b.path)}\` |`);
    lines.push(`| Size | ${formatBytes(b.sizeBytes)} |`);
    lines.push(`| Duration | ${formatDuration(b.durationMs)} |`);
    lines.push(`| pg_dump | ${escapeMarkdown(b.pgDump.version)} (\`${escapeMarkdown(b.pgDump.path)}\`) |`);
    lines.push('', 'Restore (on the runner that holds the file, with `DATABASE_URL` set):', '', '```sh', b.restoreCommand, '```', '');
  }

  if (result.planned && result.planned.length > 0) {
    lines.push(`### ${result.command === 'check' ? 'Pending' : 'apply would run'}`, '');
    let budget = MAX_SQL_TOTAL;
    for (const entry of result.planned) {
      const mode = entry.transaction ? 'in a transaction' : '**without a transaction** (disable-transaction)';
      const shown = entry.sql.length > Math.min(MAX_SQL_PER_FILE, budget) ? entry.sql.slice(0, Math.max(0, Math.min(MAX_SQL_PER_FILE, budget))) : entry.sql;
      budget -= shown.length;
      const fence = fenceFor(shown);
      lines.push(`<details><summary><code>${escapeMarkdown(entry.label)}</code>, ${mode}</summary>`, '');
      lines.push(`${fence}sql`, shown.replace(/\n$/, ''), fence);
      if (shown.length < entry.sql.length) lines.push('', `(${entry.sql.length - shown.length} more characters not shown)`);
      lines.push('', '</details>', '');
    }
  }

  if (result.baselined && result.baselined.length > 0) {
    lines.push('### Recorded as applied (not run)', '');
    for (const name of result.baselined) lines.push(`- \`${escapeMarkdown(name)}\``);
    lines.push('');
  }

  if (result.applied.length > 0) {
    lines.push('### Applied', '', '| Id | File | Transaction | Duration |', '|---:|---|---|---:|');
    for (const entry of result.applied) {
      lines.push(
        `| ${entry.id} | \`${escapeMarkdown(entry.label)}\` | ${entry.transaction ? 'yes' : 'no (disable-transaction)'} | ${formatDuration(entry.durationMs)} |`,
      );
    }
    lines.push('');
  }

  if (result.error) {
    const where = result.error.location;
    lines.push('### Error', '');
    if (where) {
      const at = where.line === undefined ? '' : `, line ${where.line}${where.column === undefined ? '' : `, column ${where.column}`}`;
      lines.push(`**\`${escapeMarkdown(where.file)}\`${at}**`, '');
    }
    lines.push('```text', result.error.message.replace(/```/g, "'''"), '```', '');
    const pg = result.error.pg;
    if (pg?.code) {
      lines.push(`PostgreSQL error code \`${escapeMarkdown(pg.code)}\`.`, '');
    }
    lines.push('The deploy that depends on this step will not run.', '');
  }

  if (result.pending && result.pending.length > 0) {
    lines.push('### Still pending', '');
    for (const name of result.pending) lines.push(`- \`${escapeMarkdown(name)}\``);
    lines.push('');
  }
  return lines.join('\n');
}
