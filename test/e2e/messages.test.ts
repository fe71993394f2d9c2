import { writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { MIGRATION_LOCK_KEY } from '../../src/db/lock.js';
import { migrationRows, tableNames } from '../support/db.js';
import { migrationsDir } from '../support/platform.js';
import { ARTIFACTS, shippedSuite } from '../support/shipped.js';

const { database, run } = shippedSuite();

describe.each(ARTIFACTS)('messages that say what is wrong, through the %s', (artifact) => {
  it('names a line break in a file name as such (not "has no id"), shown escaped', async () => {
    const db = await database();
    const dir = migrationsDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' });
    writeFileSync(path.join(dir, '2_b\nc.sql'), 'CREATE TABLE b (id int);\n');
    const result = await run(artifact, db, dir);
    expect(result.code).toBe(1);
    expect(result.log).toMatch(/Migration file name "2_b\\nc\.sql" in \S+ contains a line break; rename it/);
    expect(result.log).not.toMatch(/has no id/);
    expect(await tableNames(db)).toEqual([]);
  });

  it('names a NUL character and its line instead of the server\'s "invalid message format"', async () => {
    const db = await database();
    const dir = migrationsDir({ '1_a.sql': 'CREATE TABLE a (id int);\n', '2_nul.sql': Buffer.from('CREATE TABLE b (id int);\nSELECT 1;\0\n') });
    const result = await run(artifact, db, dir);
    expect(result.code).toBe(1);
    expect(result.log).toMatch(/Migration file \S*2_nul\.sql contains a NUL character \(at line 2\), which PostgreSQL cannot receive; remove it \(a file saved as UTF-16/);
    expect(result.log).not.toMatch(/08P01|invalid message format/);
    expect(await tableNames(db)).toEqual([]);
  });

  it('says how large a migration id can be, for a target-revision beyond any', async () => {
    const db = await database();
    const result = await run(artifact, db, migrationsDir({ '1_a.sql': 'SELECT 1;\n' }), { 'target-revision': '99999999999999999999' });
    expect(result.code).toBe(1);
    expect(result.log).toMatch(/Input target-revision "99999999999999999999" is larger than any migration id can be \(ids are at most 2147483647/);
    expect(result.log).not.toMatch(/Invalid input/);
  });

  it('ends a run that never read the database without "revision ? -> ?"', async () => {
    const db = await database();
    const result = await run(artifact, db, migrationsDir({ '1_a.sql': 'SELECT 1;\n', 'b.sql': 'SELECT 2;\n' }));
    expect(result.code).toBe(1);
    expect(result.log).toContain('apply: failed before the database was read; nothing applied.');
    expect(result.log).not.toMatch(/\?\s*->\s*\?/);
  });

  it('describes a lock holder of another role without guessing what PostgreSQL hides from us', async () => {
    const db = await database();
    const other = `holder_${db.name}`;
    await db.query(`CREATE ROLE ${other} LOGIN PASSWORD 'holder-pw'`);
    await db.query(`CREATE ROLE viewer_${db.name} LOGIN PASSWORD 'viewer-pw'`);
    await db.query(`GRANT CREATE ON SCHEMA public TO viewer_${db.name}`);
    const as = (role: string, password: string) => {
      const url = new URL(db.url);
      url.username = role;
      url.password = password;
      return url.toString();
    };
    const holder = new pg.Client({ connectionString: as(other, 'holder-pw'), application_name: 'other-team-deploy' });
    await holder.connect();
    try {
      await holder.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
      const result = await run(artifact, db, migrationsDir({ '1_a.sql': 'SELECT 1;\n' }), {
        'database-url': as(`viewer_${db.name}`, 'viewer-pw'),
        'lock-wait-timeout': '0',
      });
      expect(result.code).toBe(1);
      expect(result.log).toMatch(
        new RegExp(
          `Another run holds the migration lock \\(pid \\d+, role "${other}", application_name "other-team-deploy", client, start time and state hidden from role "viewer_${db.name}" \\(grant it pg_read_all_stats to see them\\)\\)`,
        ),
      );
      expect(result.log).not.toMatch(/local socket/);
    } finally {
      await holder.end();
      await db.query(`DROP OWNED BY ${other}, viewer_${db.name}`);
      await db.query(`DROP ROLE ${other}, viewer_${db.name}`);
    }
    expect(await migrationRows(db)).toEqual([]);
  });
});
