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
    'backup-path': result.backupPath,
    error: result.error?.message ?? '',
  };
}

const TITLES: Record<RunResult['status'], string> = {
  applied: '✅ Migrations applied',
  'up-to-date': '✅ Database up to date',
  failed: '❌ Migration failed',
};

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
  lines.push(`## ${TITLES[result.status]}`, '');
  lines.push('| | |', '|---|---|');
  if (result.endpoint) lines.push(`| Database | \`${escapeMarkdown(describeEndpoint(result.endpoint))}\` |`);
  lines.push(`| Status | \`${result.status}\` |`);
  const before = revisionText(result.previous);
  const after = revisionText(result.revision);
  lines.push(`| Revision | ${before === after ? after : `${before} → ${after}`} |`);
  lines.push(`| Applied | ${result.applied.length} |`);
  lines.push(`| Pending | ${result.pending ? result.pending.length : 'unknown'} |`);
  lines.push(`| Duration | ${formatDuration(result.durationMs)} |`);
  lines.push('');

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
    if (result.status === 'failed') {
      lines.push('The deploy that depends on this step will not run.', '');
    }
  }

  if (result.pending && result.pending.length > 0) {
    lines.push('### Still pending', '');
    for (const name of result.pending) lines.push(`- \`${escapeMarkdown(name)}\``);
    lines.push('');
  }
  return lines.join('\n');
}
