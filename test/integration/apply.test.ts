import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runOn } from '../../src/main.js';
import { freshDatabase, migrationRows, tableNames, type TestDatabase } from '../support/db.js';
import { migrationsDir, recordingPlatform } from '../support/platform.js';

const EXAMPLE = path.resolve('migrations-example');
let db: TestDatabase;
afterEach(async () => db?.close());

describe('apply', () => {
  it('applies the example migrations, records them, and is up to date on the second run', async () => {
    db = await freshDatabase();
    const first = recordingPlatform({ 'database-url': db.url, 'migrations-dir': EXAMPLE });
    await runOn(first);
    expect(first.failed).toBeUndefined();
    expect(first.outputs).toMatchObject({
      status: 'applied',
      revision: '3',
      'revision-name': 'add-users-last-login',
      'previous-revision': '0',
      'applied-count': '3',
      'pending-count': '0',
      error: '',
    });
    expect(JSON.parse(first.outputs.applied!)).toEqual([
      '1_create-users.sql',
      '2_index-users-created-at.sql',
      '3_add-users-last-login.sql',
    ]);
    expect((await migrationRows(db)).map((r) => r.id)).toEqual([0, 1, 2, 3]);
    expect(await tableNames(db)).toEqual(['migrations', 'users']);

    const second = recordingPlatform({ 'database-url': db.url, 'migrations-dir': EXAMPLE });
    await runOn(second);
    expect(second.outputs).toMatchObject({ status: 'up-to-date', revision: '3', 'previous-revision': '3', 'applied-count': '0' });
  });

  it('stops at a failing migration: earlier ones stay, the failing one leaves no trace, the rest do not run', async () => {
    db = await freshDatabase();
    const dir = migrationsDir({
      '1_a.sql': 'CREATE TABLE a (id int);',
      '2_b.sql': 'CREATE TABLE b (id int);\nINSERT INTO b VALUES (1);\nSELECT nosuchcolumn FROM b;\n',
      '3_c.sql': 'CREATE TABLE c (id int);',
    });
    const platform = recordingPlatform({ 'database-url': db.url, 'migrations-dir': dir });
    await runOn(platform);
    expect(platform.outputs).toMatchObject({ status: 'failed', revision: '1', 'previous-revision': '0', 'applied-count': '1', 'pending-count': '2' });
    expect(platform.failed).toMatch(/2_b\.sql failed at line 3, column 8: 42703 column "nosuchcolumn" does not exist/);
    expect(platform.annotations).toContainEqual(
      expect.objectContaining({ location: expect.objectContaining({ file: `${dir}/2_b.sql`, line: 3 }) }),
    );
    expect(await tableNames(db)).toEqual(['a', 'migrations']);
    expect((await migrationRows(db)).map((r) => r.id)).toEqual([0, 1]);
  });
});
