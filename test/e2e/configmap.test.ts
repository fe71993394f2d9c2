import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrationRows } from '../support/db.js';
import { ARTIFACTS, shippedSuite } from '../support/shipped.js';

const { database, run } = shippedSuite();

/**
 * A directory laid out as the kubelet lays out a ConfigMap volume: the data in a timestamped directory,
 * `..data` a link to it, and each key a link to `..data/<key>`.
 */
function configMapVolume(files: Record<string, string>): string {
  const volume = mkdtempSync(path.join(os.tmpdir(), 'migrate-action-configmap-'));
  const stamp = '..2026_11_25_09_00_00.123456789';
  mkdirSync(path.join(volume, stamp));
  for (const [name, sql] of Object.entries(files)) writeFileSync(path.join(volume, stamp, name), sql);
  symlinkSync(stamp, path.join(volume, '..data'));
  for (const name of Object.keys(files)) symlinkSync(path.join('..data', name), path.join(volume, name));
  return volume;
}

describe.each(ARTIFACTS)('a Kubernetes ConfigMap mount, through the %s', (artifact) => {
  it('applies the files behind the ..data links', async () => {
    const db = await database();
    const dir = configMapVolume({ '1_users.sql': 'CREATE TABLE users (id int);\n', '2_orders.sql': 'CREATE TABLE orders (id int);\n' });
    const result = await run(artifact, db, dir);
    expect(result.code, result.log).toBe(0);
    expect(result.outputs).toMatchObject({ status: 'applied', revision: '2' });
    expect((await migrationRows(db)).map((r) => r.name)).toEqual(['create-migrations-table', 'users', 'orders']);
  });

  it('still refuses a link that leaves the directory', async () => {
    const db = await database();
    const dir = configMapVolume({ '1_users.sql': 'CREATE TABLE users (id int);\n' });
    const outside = path.join(mkdtempSync(path.join(os.tmpdir(), 'migrate-action-outside-')), 'secret.sql');
    writeFileSync(outside, 'SELECT 1;\n');
    symlinkSync(outside, path.join(dir, '2_outside.sql'));
    const result = await run(artifact, db, dir);
    expect(result.code).toBe(1);
    expect(result.log).toMatch(/Migration file \S*2_outside\.sql is a link to a file outside/);
    expect(await migrationRows(db)).toEqual([]);
  });
});
