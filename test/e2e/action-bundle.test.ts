import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../scripts/local-postgres.mjs';
import { ROOT, runBundle } from '../support/action.js';
import { freshDatabase, migrationRows, type TestDatabase } from '../support/db.js';
import { findLeaks } from '../support/leaks.js';
import { migrationsDir } from '../support/platform.js';

let db: TestDatabase | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
});

beforeAll(() => {
  if (!existsSync(path.join(ROOT, 'dist', 'index.js'))) throw new Error('dist/index.js is missing: run npm run build first');
});

const noStackTrace = (text: string) => expect(text).not.toMatch(/^\s+at .+\(.*:\d+:\d+\)$/m);

describe('dist/index.js as the GitHub runner runs it', () => {
  it('applies, sets every output, writes the summary, exits 0; then up-to-date', async () => {
    db = await freshDatabase();
    const run = runBundle({ 'database-url': db.url, 'migrations-dir': 'migrations-example/postgres-migrations' });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs).toEqual({
      status: 'applied',
      revision: '3',
      'revision-name': 'add-users-last-login',
      'previous-revision': '0',
      'applied-count': '3',
      applied: '["1_create-users.sql","2_index-users-created-at.sql","3_add-users-last-login.sql"]',
      'pending-count': '0',
      pending: '[]',
      'rolled-back-count': '0',
      'rolled-back': '[]',
      'backup-path': '',
      'findings-count': '0',
      findings: '[]',
      error: '',
    });
    expect(run.summary).toContain('## ✅ Migrations applied');
    expect(run.summary).toContain('| Revision | 0 (none) → 3 (add-users-last-login) |');
    expect(run.summary).toMatch(/\| 2 \| `migrations-example\/postgres-migrations\/2_index-users-created-at\.sql` \| no \(disable-transaction\) \| \d+ ms \|/);
    for (const phase of ['Validate migration files', 'Wait for the database', 'Take the migration lock', 'Read applied migrations', 'Apply 3 migration(s)']) {
      expect(run.stdout).toContain(`::group::${phase}`);
    }

    const again = runBundle({ 'database-url': db.url, 'migrations-dir': 'migrations-example/postgres-migrations' });
    expect(again.code).toBe(0);
    expect(again.outputs).toMatchObject({ status: 'up-to-date', revision: '3', 'previous-revision': '3', 'applied-count': '0', applied: '[]' });
  });

  it('masks every form of the password and prints it nowhere else', async () => {
    db = await freshDatabase();
    const run = runBundle({ 'database-url': db.url, 'migrations-dir': 'migrations-example/postgres-migrations' });
    const password = inject('testPassword');
    const masks = run.stdout.split('\n').filter((line) => line.startsWith('::add-mask::'));
    // the runner's command escaping turns % into %25
    const escaped = (s: string) => s.replace(/%/g, '%25');
    expect(masks).toContain(`::add-mask::${escaped(password)}`);
    expect(masks).toContain(`::add-mask::${escaped(encodeURIComponent(password))}`);
    expect(masks).toContain(`::add-mask::${escaped(db.url)}`);
    expect(findLeaks(`${run.stdout}\n${run.stderr}\n${run.summary}\n${Object.values(run.outputs).join('\n')}`, password)).toEqual([]);
  });

  it('fails a migration with exit 1, an annotation on the file and line, and outputs that say what is applied', async () => {
    db = await freshDatabase();
    const dir = migrationsDir({ '1_a.sql': 'CREATE TABLE a (id int);', '2_b.sql': 'CREATE TABLE b (id int);\nCREAT INDEX b_id ON b (id);\n' });
    const run = runBundle({ 'database-url': db.url, 'migrations-dir': dir });
    expect(run.code).toBe(1);
    const errors = run.stdout.split('\n').filter((line) => line.startsWith('::error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^::error title=migrate-action,file=.*\/2_b\.sql,line=2,col=1::Migration .*2_b\.sql failed at line 2, column 1: 42601 syntax error at or near "CREAT"/);
    expect(errors[0]).toContain(`file=${dir}/2_b.sql,`);
    expect(run.outputs).toMatchObject({ status: 'failed', revision: '1', 'revision-name': 'a', 'applied-count': '1', 'pending-count': '1', pending: '["2_b.sql"]' });
    expect(run.outputs.error).toMatch(/^Migration .*2_b\.sql failed at line 2/);
    expect(run.summary).toContain('## ❌ Migration failed');
    expect(run.summary).toMatch(/2_b\.sql`, line 2, column 1\*\*/);
    noStackTrace(run.stdout + run.stderr);
    expect((await migrationRows(db)).map((r) => r.id)).toEqual([0, 1]);
  });

  it('says an empty database-url is probably a secret this event cannot read', () => {
    const run = runBundle({ 'database-url': '', 'migrations-dir': 'migrations-example/postgres-migrations' });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/::error::Input database-url is empty: the secret is probably not available to this event \(a pull request from a fork/);
    expect(run.outputs).toMatchObject({ status: 'failed', revision: '', 'previous-revision': '' });
    noStackTrace(run.stdout + run.stderr);
  });

  it('names a bad input and its value in one line, and touches nothing', async () => {
    db = await freshDatabase();
    const run = runBundle({ 'database-url': db.url, 'migrations-dir': 'migrations-example/postgres-migrations', 'wait-timeout': 'abc', 'lock-retries': '-1' });
    expect(run.code).toBe(1);
    const errors = run.stdout.split('\n').filter((l) => l.startsWith('::error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('Input wait-timeout "abc" is not a whole number of seconds');
    expect(errors[0]).toContain('Input lock-retries "-1"');
    expect(await migrationRows(db)).toEqual([]);
  });

  it('fails after wait-timeout when nothing listens, naming host and port', async () => {
    const port = await freePort();
    const url = `postgres://postgres:${encodeURIComponent(inject('testPassword'))}@127.0.0.1:${port}/nowhere`;
    const run = runBundle({ 'database-url': url, 'migrations-dir': 'migrations-example/postgres-migrations', 'wait-timeout': '1' });
    expect(run.code).toBe(1);
    expect(run.outputs.error).toMatch(new RegExp(`Database at 127\\.0\\.0\\.1:${port} did not accept connections within wait-timeout \\(1 s`));
  });

  it('plan exits 0 with status pending; check exits 1 until apply ran', async () => {
    db = await freshDatabase();
    const base = { 'database-url': db.url, 'migrations-dir': 'migrations-example/postgres-migrations' };
    const plan = runBundle({ ...base, command: 'plan' });
    expect(plan.code).toBe(0);
    expect(plan.outputs).toMatchObject({ status: 'pending', 'pending-count': '3', revision: '0' });
    expect(plan.summary).toContain('<details><summary><code>migrations-example/postgres-migrations/1_create-users.sql</code>');
    const check = runBundle({ ...base, command: 'check' });
    expect(check.code).toBe(1);
    expect(check.outputs).toMatchObject({ status: 'pending', 'pending-count': '3' });
    expect(check.outputs.error).toMatch(/3 migration\(s\) pending/);
    expect(runBundle(base).code).toBe(0);
    const after = runBundle({ ...base, command: 'check' });
    expect(after.code).toBe(0);
    expect(after.outputs).toMatchObject({ status: 'up-to-date', error: '' });
  });

  it('names an unreadable migration file and the fix, and touches nothing', async () => {
    db = await freshDatabase();
    const dir = migrationsDir({ '1_a.sql': 'CREATE TABLE a (id int);', '2_secret.sql': 'CREATE TABLE b (id int);' });
    chmodSync(path.join(dir, '2_secret.sql'), 0o000);
    chmodSync(dir, 0o755);
    // root reads everything, so as root the bundle runs as the unprivileged postgres user
    const user = process.getuid?.() === 0 ? { uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })) } : undefined;
    const run = runBundle({ 'database-url': db.url, 'migrations-dir': dir }, {}, user);
    expect(run.code).toBe(1);
    expect(run.outputs.error).toMatch(/^Migration file .*2_secret\.sql cannot be read \(permission denied\); make it readable by the user that runs this step\.$/);
    expect(await migrationRows(db)).toEqual([]);
  });
});
