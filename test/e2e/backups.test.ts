import { chmodSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { localPgDump, serverMajor } from '../support/db.js';
import { migrationsDir } from '../support/platform.js';
import { dumpPrefix } from '../../src/migrations/backup.js';
import { ARTIFACTS, shippedSuite } from '../support/shipped.js';

const { database, run } = shippedSuite();

describe.each(ARTIFACTS)('backup files and directories, through the %s', (artifact) => {
  it('leaves the mode of an existing backup-dir alone, writes the dump 0600, and never overwrites a dump of the same second', async (context) => {
    const dump = localPgDump();
    if (!dump || dump.major < (await serverMajor())) return context.skip('needs a pg_dump for this server');
    const db = await database();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'migrate-action-existing-'));
    chmodSync(dir, 0o755);
    // Dumps of this database at revision 0 already exist for the next seconds: the run must not fail on them.
    const stamp = (t: number) => new Date(t).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
    const now = Date.now();
    const url = new URL(db.url);
    const prefix = dumpPrefix({ host: url.hostname, port: Number(url.port || 5432), database: db.name });
    for (let s = -1; s <= 30; s += 1) writeFileSync(path.join(dir, `${prefix}-r0-${stamp(now + s * 1000)}.dump`), 'taken before');
    const result = await run(artifact, db, migrationsDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' }), { backup: 'true', 'backup-dir': dir });
    expect(result.code, result.log).toBe(0);
    const file = result.outputs['backup-path']!;
    expect(path.basename(file)).toMatch(new RegExp(`^${prefix}-r0-\\d{8}T\\d{6}Z-2\\.dump$`));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o755);
    expect(readdirSync(dir).filter((name) => name.endsWith('-2.dump'))).toEqual([path.basename(file)]);
  });

  it('labels a backup-dir the file system refuses as such, and applies nothing', async () => {
    const db = await database();
    const parent = path.join(mkdtempSync(path.join(os.tmpdir(), 'migrate-action-file-')), 'not-a-dir');
    writeFileSync(parent, '');
    const result = await run(artifact, db, migrationsDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' }), { backup: 'true', 'backup-dir': path.join(parent, 'dumps') });
    expect(result.code).toBe(1);
    expect(result.log).toMatch(/backup-dir "\S+" cannot be created \(ENOTDIR[^)]*\); point backup-dir at a writable directory\. Nothing was applied\./);
    expect(result.log).not.toMatch(/Database error/);
  });
});
