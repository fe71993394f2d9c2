import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseOutputFile } from '../../scripts/github-output.mjs';
import { ROOT } from '../support/action.js';
import { freshDatabase, migrationRows, type TestDatabase } from '../support/db.js';
import { recordWritten } from '../support/leaks.js';
import { migrationsDir } from '../support/platform.js';

let db: TestDatabase | undefined;
let dir: string | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * GitHub's local runner for JavaScript actions (@github/local-action) on the TypeScript sources, with the
 * runner's files (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) in its .env file; failures are read from the
 * `::error` lines it passes through.
 */
function localAction(inputs: Record<string, string>) {
  dir = mkdtempSync(path.join(os.tmpdir(), 'migrate-action-local-'));
  const envFile = path.join(dir, '.env');
  const summary = path.join(dir, 'summary.md');
  const outputFile = path.join(dir, 'output');
  writeFileSync(summary, '');
  writeFileSync(outputFile, '');
  const lines = Object.entries(inputs).map(([k, v]) => `INPUT_${k.toUpperCase()}=${v}`);
  writeFileSync(envFile, [...lines, `GITHUB_STEP_SUMMARY=${summary}`, `GITHUB_OUTPUT=${outputFile}`, `RUNNER_TEMP=${dir}`, ''].join('\n'));
  const result = spawnSync('npx', ['--no', 'local-action', 'run', '.', 'src/main.ts', envFile], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  const summaryText = readFileSync(summary, 'utf8');
  const outputText = readFileSync(outputFile, 'utf8');
  recordWritten('local-action GITHUB_OUTPUT', outputText);
  recordWritten('local-action stdout', result.stdout);
  recordWritten('local-action stderr', result.stderr);
  recordWritten('local-action summary', summaryText);
  return { code: result.status, stdout: result.stdout, summary: summaryText, outputs: parseOutputFile(outputText) };
}

describe('@github/local-action on src/main.ts', () => {
  it('applies the example migrations and reports the outputs', async () => {
    db = await freshDatabase();
    const run = localAction({ 'database-url': db.url, 'migrations-dir': 'migrations-example/postgres-migrations' });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs.status).toBe('applied');
    expect(run.outputs.revision).toBe('3');
    expect(run.outputs['revision-name']).toBe('add-users-last-login');
    expect(run.summary).toContain('0 (none) → 3 (add-users-last-login)');
    expect((await migrationRows(db)).map((r) => r.id)).toEqual([0, 1, 2, 3]);
  });

  it('reports a failing migration with its file and line', async () => {
    db = await freshDatabase();
    const files = migrationsDir({ '1_a.sql': 'CREATE TABLE a (id int);', '2_b.sql': '-- comment\nSELECT nosuch FROM a;' });
    const run = localAction({ 'database-url': db.url, 'migrations-dir': files });
    expect(run.stdout).toMatch(/::error .*file=.*2_b\.sql,line=2.*::Migration .*2_b\.sql failed at line 2, column 8: 42703 column \\?"nosuch\\?" does not exist/);
    // our exit code 1 reaches local-action's own process
    expect(run.code).not.toBe(0);
    expect(run.outputs.status).toBe('failed');
    expect(run.outputs.revision).toBe('1');
  });
});
