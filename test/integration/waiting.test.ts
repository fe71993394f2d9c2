import { afterEach, describe, expect, inject, it } from 'vitest';
import { databaseUrl, freePort, startLocalPostgres } from '../../scripts/local-postgres.mjs';
import { runOn } from '../../src/main.js';
import { freshDatabase, type TestDatabase } from '../support/db.js';
import { migrationsDir, recordingPlatform } from '../support/platform.js';

const EXAMPLE = 'migrations-example/postgres-migrations';
let db: TestDatabase | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
});

function urlWith(change: (url: URL) => void): string {
  const url = new URL(inject('adminUrl'));
  change(url);
  return url.toString();
}

describe('waiting for the database', () => {
  it('gives up after wait-timeout when nothing listens, naming host and port', async () => {
    const port = await freePort();
    const p = recordingPlatform({ 'database-url': databaseUrl({ port, password: inject('testPassword') }), 'migrations-dir': EXAMPLE, 'wait-timeout': '2' });
    const started = Date.now();
    await runOn(p);
    const elapsed = Date.now() - started;
    // wait-timeout ±10%, plus a little for loading the files and the last attempt
    expect(elapsed).toBeGreaterThanOrEqual(1_800);
    expect(elapsed).toBeLessThan(2_200 + 300);
    expect(p.failed).toMatch(new RegExp(`Database at 127\\.0\\.0\\.1:${port} did not accept connections within wait-timeout \\(2 s, \\d+ attempts\\); last error: connect ECONNREFUSED`));
    expect(p.outputs).toMatchObject({ status: 'failed', revision: '', 'previous-revision': '' });
  });

  it('fails at once on a wrong password', async () => {
    const p = recordingPlatform({ 'database-url': urlWith((u) => (u.password = 'wrong')), 'migrations-dir': EXAMPLE, 'wait-timeout': '30' });
    const started = Date.now();
    await runOn(p);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(p.failed).toMatch(/^Password authentication failed for user "postgres" at 127\.0\.0\.1:\d+\/postgres; check the password in the database-url secret\.$/);
  });

  it('fails at once when the database does not exist', async () => {
    const p = recordingPlatform({ 'database-url': urlWith((u) => (u.pathname = '/no_such_db')), 'migrations-dir': EXAMPLE, 'wait-timeout': '30' });
    const started = Date.now();
    await runOn(p);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(p.failed).toMatch(/Database "no_such_db" does not exist on 127\.0\.0\.1:\d+; create it first/);
  });

  it('fails at once when SSL is required and the server has none', async () => {
    const p = recordingPlatform({ 'database-url': urlWith((u) => u.searchParams.set('sslmode', 'require')), 'migrations-dir': EXAMPLE, 'wait-timeout': '30' });
    const started = Date.now();
    await runOn(p);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(p.failed).toMatch(/^Cannot connect to 127\.0\.0\.1:\d+\/postgres: The server does not accept SSL connections, but sslmode=require in database-url requires SSL; turn ssl on in the server, or use sslmode=prefer/);
  });

  it('waits for a server that comes up within wait-timeout', async () => {
    const port = await freePort();
    const url = databaseUrl({ port, password: inject('testPassword') });
    const p = recordingPlatform({ 'database-url': url, 'migrations-dir': EXAMPLE, 'wait-timeout': '30' });
    const running = runOn(p);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const server = await startLocalPostgres({ port, password: inject('testPassword') });
    try {
      await running;
      expect(p.failed).toBeUndefined();
      expect(p.outputs).toMatchObject({ status: 'applied', revision: '3' });
      expect(p.log()).toMatch(/Database not ready \(connect ECONNREFUSED 127\.0\.0\.1:\d+\); retrying in/);
    } finally {
      await server.stop();
    }
  });

  it('sets application_name migrate-action on its connection even when the URL names another', async () => {
    db = await freshDatabase();
    const url = new URL(db.url);
    url.searchParams.set('application_name', 'someone-else');
    const dir = migrationsDir({
      '1_who.sql': "CREATE TABLE who AS SELECT current_setting('application_name') AS name;",
    });
    const p = recordingPlatform({ 'database-url': url.toString(), 'migrations-dir': dir });
    await runOn(p);
    expect(await db.query('SELECT name FROM who')).toEqual([{ name: 'migrate-action' }]);
  });
});
