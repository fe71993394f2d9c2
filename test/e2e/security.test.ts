import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrationsDir } from '../support/platform.js';
import { ARTIFACTS, shippedSuite } from '../support/shipped.js';

const { database, run } = shippedSuite();

/** A line break followed by workflow commands: what a hostile value would carry. */
const FORGED = '\n::set-output name=revision::999\n::add-mask::x\n::error::forged';

describe('nothing from outside becomes a runner command (dist/index.js as the runner runs it)', () => {
  it('a server message, a notice and an input with line breaks and commands are shown, never obeyed', async () => {
    const db = await database();
    const sqlText = FORGED.replace(/\n/g, "' || chr(10) || '");
    const dir = migrationsDir({
      '1_talks.sql': `DO $$ BEGIN RAISE NOTICE '%', 'hello' || '${sqlText}'; END $$;\n`,
      '2_fails.sql': `DO $$ BEGIN RAISE EXCEPTION '%', 'boom' || '${sqlText}'; END $$;\n`,
    });
    const backupDir = path.join(migrationsDir({}), `backups${FORGED}`);
    const result = await run('action', db, dir, { backup: 'true', 'backup-dir': backupDir });
    expect(result.outputs['backup-path']!.startsWith(backupDir)).toBe(true);
    expect(result.code).toBe(1);
    // Every line the runner would read as a command is one we wrote, outside a stop-commands block.
    const commands: string[] = [];
    let stopped: string | undefined;
    for (const line of result.log.split(/\r?\n/)) {
      if (stopped !== undefined) {
        if (line === `::${stopped}::`) stopped = undefined;
        continue;
      }
      const stop = /^::stop-commands::(.+)$/.exec(line);
      if (stop) stopped = stop[1];
      else if (line.startsWith('::')) commands.push(line);
    }
    expect(commands.filter((line) => /set-output|::x$|forged/.test(line.replace(/%0A/g, ' ')) && !line.startsWith('::error'))).toEqual([]);
    expect(commands.filter((line) => line === '::add-mask::x' || line.startsWith('::error::forged'))).toEqual([]);
    expect(result.outputs.revision).toBe('1');
    expect(Object.keys(result.outputs).sort()).toEqual(
      ['applied', 'applied-count', 'backup-path', 'error', 'findings', 'findings-count', 'pending', 'pending-count', 'previous-revision', 'revision', 'revision-name', 'rolled-back', 'rolled-back-count', 'status'].sort(),
    );
    // The text itself is still there to read.
    expect(result.log).toContain('::set-output name=revision::999');
  });
});

describe.each(ARTIFACTS)('secrets and true outputs, through the %s', (artifact) => {
  it('treats PGPASSWORD as a secret when the URL has none: masked, and scrubbed from a migration error', async () => {
    const db = await database();
    const url = new URL(db.url);
    const password = decodeURIComponent(url.password);
    url.password = '';
    const dir = migrationsDir({ '1_leak.sql': `DO $$ BEGIN RAISE EXCEPTION 'the password is %', ${`'${password.replace(/'/g, "''")}'`}; END $$;\n` });
    const result = await run(artifact, db, dir, { 'database-url': url.toString() }, { PGPASSWORD: password });
    expect(result.code).toBe(1);
    expect(result.log).toContain('the password is ***');
    if (artifact === 'action') expect(result.log).toContain(`::add-mask::${password.replace(/%/g, '%25')}`);
    expect(result.outputs.error ?? '').not.toContain(password);
    // (the leak check after each test scans everything written for the password, too)
  });

  it('keeps outputs true when a short password is part of a file name', async () => {
    const db = await database();
    const role = `orders_${db.name}`;
    await db.query(`CREATE ROLE ${role} LOGIN PASSWORD 'orders'`);
    await db.query(`GRANT CREATE ON SCHEMA public TO ${role}`);
    const url = new URL(db.url);
    url.username = role;
    url.password = 'orders';
    const dir = migrationsDir({ '1_create-orders.sql': 'CREATE TABLE orders (id int);\n', '2_orders-customer-index.sql': 'CREATE INDEX ON orders (id);\n' });
    try {
      const result = await run(artifact, db, dir, { 'database-url': url.toString() });
      expect(result.code, result.log).toBe(0);
      expect(result.outputs).toMatchObject({ revision: '2', 'revision-name': 'orders-customer-index' });
      if (artifact === 'action') expect(JSON.parse(result.outputs.applied!)).toEqual(['1_create-orders.sql', '2_orders-customer-index.sql']);
    } finally {
      await db.query(`DROP OWNED BY ${role}`);
      await db.query(`DROP ROLE ${role}`);
    }
  });

  it('takes a password from the password file as a secret, as the driver takes it', async () => {
    const db = await database();
    const url = new URL(db.url);
    const password = decodeURIComponent(url.password);
    url.password = '';
    const passfile = path.join(os.tmpdir(), `migrate-action-pgpass-${db.name}`);
    const escape = (field: string) => field.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
    writeFileSync(passfile, `${url.hostname}:${url.port}:*:${decodeURIComponent(url.username)}:${escape(password)}\n`, { mode: 0o600 });
    const dir = migrationsDir({ '1_leak.sql': `DO $$ BEGIN RAISE EXCEPTION 'pw %', ${`'${password.replace(/'/g, "''")}'`}; END $$;\n` });
    const result = await run(artifact, db, dir, { 'database-url': url.toString() }, { PGPASSFILE: passfile });
    expect(result.code).toBe(1);
    expect(result.log).toContain('pw ***');
    expect(readFileSync(passfile, 'utf8')).toContain(escape(password)); // untouched
  });
});
