import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError, helpText, parseArgs } from './cli/args.js';
import { runOn } from './main.js';
import { cliPlatform, type CliEnvironment } from './platform/cli.js';
import { toOutputs } from './report.js';
import type { RunResult } from './run.js';
import { VERSION } from './version.js';

/** The dotenv keys GitLab passes to later jobs, and the output each one carries. */
export const DOTENV_KEYS = [
  ['MIGRATE_STATUS', 'status'],
  ['MIGRATE_REVISION', 'revision'],
  ['MIGRATE_REVISION_NAME', 'revision-name'],
  ['MIGRATE_PREVIOUS_REVISION', 'previous-revision'],
  ['MIGRATE_APPLIED_COUNT', 'applied-count'],
  ['MIGRATE_PENDING_COUNT', 'pending-count'],
  ['MIGRATE_ROLLED_BACK_COUNT', 'rolled-back-count'],
  ['MIGRATE_FINDINGS_COUNT', 'findings-count'],
  ['MIGRATE_BACKUP_PATH', 'backup-path'],
] as const;

/**
 * The report as dotenv lines within GitLab's rules: one line per key, no spaces, quotes or newlines in
 * values (anything else becomes `_`), nothing secret (only the scalar outputs above). Pure.
 */
export function renderDotenv(result: RunResult): string {
  const outputs = toOutputs(result);
  return DOTENV_KEYS.map(([key, output]) => `${key}=${outputs[output].replace(/[^A-Za-z0-9_.,/:@+=-]/g, '_')}`).join('\n') + '\n';
}

/**
 * The review's findings as GitLab's Code Quality report (a JSON array; `[]` when there are none), so that
 * they show in the merge request: severity major (critical with lint error), the file and line, and a
 * fingerprint that stays the same while the statement does. Pure.
 */
export function renderCodeQuality(result: RunResult): string {
  const findings = (result.findings ?? []).filter((f) => !f.ignored);
  const severity = result.error && findings.length > 0 && /input lint is error/.test(result.error.message) ? 'critical' : 'major';
  // The same rule on the same statement text twice in one file: told apart by how many came before.
  const seen = new Map<string, number>();
  return `${JSON.stringify(
    findings.map((f) => ({
      description: f.message,
      check_name: f.rule,
      fingerprint: createHash('sha256')
        .update(`${f.rule}\0${f.file}\0${f.statement}\0${occurrence(seen, `${f.rule}\0${f.file}\0${f.statement}`)}`)
        .digest('hex'),
      severity,
      location: { path: f.file, lines: { begin: f.line ?? 1 } },
    })),
    null,
    2,
  )}\n`;
}

/** How many times `key` was counted before (and count it). */
function occurrence(seen: Map<string, number>, key: string): number {
  const n = seen.get(key) ?? 0;
  seen.set(key, n + 1);
  return n;
}

/** `migrate-action <command> [flags]`: exit 0 success, 1 failure (also check with something pending), 2 bad usage. */
export async function runCli(argv: readonly string[], io: CliEnvironment): Promise<number> {
  let request;
  try {
    request = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.writeError(`migrate-action: ${error.message}`);
    return 2;
  }
  if (request.kind === 'help') {
    io.write(helpText(VERSION));
    return 0;
  }
  if (request.kind === 'version') {
    io.write(VERSION);
    return 0;
  }
  const platform = cliPlatform(request.inputs, io);
  const result = await runOn(platform, undefined, io.signal);
  for (const [flag, name, render] of [
    ['dotenv', request.dotenv, renderDotenv],
    ['code-quality', request.codeQuality, renderCodeQuality],
  ] as const) {
    if (name === undefined) continue;
    try {
      writeFileSync(path.resolve(io.cwd, name), render(result), { mode: 0o600 });
    } catch (error) {
      io.writeError(`migrate-action: cannot write --${flag} ${name}: ${(error as Error).message}`);
      return 1;
    }
  }
  return result.error ? 1 : 0;
}
