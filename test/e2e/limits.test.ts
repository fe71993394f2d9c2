import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrationRows } from '../support/db.js';
import { shippedSuite } from '../support/shipped.js';

// GitHub drops a job summary over 1 MiB, and outputs and log lines have limits of their own: what the
// action writes must stay under them at any number of files.

const { database, run } = shippedSuite();

function manyFiles(n: number): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'migrate-action-many-'));
  for (let i = 1; i <= n; i += 1) writeFileSync(path.join(dir, `${i}_create-table-number-${i}.sql`), `CREATE TABLE t${i} (id int);\n`);
  return dir;
}

const N = 100_000;

describe('100,000 migration files through dist/index.js', () => {
  const dir = manyFiles(N);

  it('plan: summary under 1 MiB, pending output capped with an exact count, every name in the log, no huge line', async () => {
    const db = await database();
    const result = await run('action', db, dir, { command: 'plan' });
    expect(result.code, result.log.slice(-2000)).toBe(0);
    expect(Buffer.byteLength(result.summary)).toBeLessThan(1024 * 1024);
    expect(result.summary).toMatch(/\((\d+) more pending migrations not shown here, to keep this summary under GitHub's size limit; the log lists them all\.\)/);
    expect(result.summary).toContain(`| Pending | ${N} |`);
    expect(result.outputs['pending-count']).toBe(String(N));
    const pending = JSON.parse(result.outputs.pending!) as string[];
    expect(pending).toHaveLength(1_000);
    expect(pending[0]).toBe('1_create-table-number-1.sql');
    const lines = result.log.split('\n');
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThan(16 * 1024);
    expect(lines.some((line) => line.includes(`${N}_create-table-number-${N}.sql`))).toBe(true);
  }, 180_000);

  it('baseline: the recorded list is cut the same way; the rows are all there', async () => {
    const db = await database();
    const result = await run('action', db, dir, { command: 'baseline', 'target-revision': String(N) });
    expect(result.code, result.log.slice(-2000)).toBe(0);
    expect(Buffer.byteLength(result.summary)).toBeLessThan(1024 * 1024);
    expect(result.summary).toMatch(/more recorded migrations not shown here/);
    expect((await migrationRows(db)).length).toBe(N + 1);
  }, 180_000);
});
