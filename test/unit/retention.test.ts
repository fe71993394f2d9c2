import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backupFileName } from '../../src/migrations/backup.js';
import { dumpPattern, parseRetention, pruneBackups, safeName, type Retention } from '../../src/migrations/retention.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.parse('2026-03-10T12:00:00Z');
const INVALID = 'is not a retention; use a number of days such as 7d (also 12h, 2w), or a count such as 10 for the last ten dumps';

describe('backup-retention', () => {
  it.each([
    ['7d', { kind: 'age', ms: 7 * DAY, text: '7d' }],
    ['12h', { kind: 'age', ms: 12 * HOUR, text: '12h' }],
    ['2w', { kind: 'age', ms: 14 * DAY, text: '2w' }],
    ['10', { kind: 'count', count: 10, text: '10' }],
    ['1', { kind: 'count', count: 1, text: '1' }],
    ['100000', { kind: 'count', count: 100_000, text: '100000' }],
    [' 3d ', { kind: 'age', ms: 3 * DAY, text: '3d' }],
  ])('reads %j', (value, expected) => {
    expect(parseRetention(value)).toEqual(expected);
  });

  it('keeps everything when empty', () => {
    expect(parseRetention('')).toBeUndefined();
    expect(parseRetention('  ')).toBeUndefined();
  });

  it.each(['-1', '-7d', '1.5', '1.5d', '7 days', 'd', '7m', '7D', '07', 'forever', '1e3', '0x10'])('refuses %j', (value) => {
    expect(parseRetention(value)).toBe(INVALID);
  });

  it('refuses zero and numbers beyond 100000 with the reason', () => {
    expect(parseRetention('0')).toMatch(/^would keep no dump; use at least 1 \(a count\)/);
    expect(parseRetention('0d')).toMatch(/^would keep no dump; use at least 1d,/);
    expect(parseRetention('100001')).toMatch(/^is more than 100000;/);
    expect(parseRetention('999999w')).toMatch(/^is more than 100000;/);
  });
});

describe("a database's dump names", () => {
  it('match the names takeBackup gives, in both formats, with the -N of a second dump', () => {
    const at = new Date('2026-03-10T11:22:33.456Z');
    for (const [database, revision] of [
      ['app', '5'],
      ['my db/x', '0'],
      ['shop.v2', 'ae1027a6acf2'],
      ['app', 'abc123 def456'],
      ['app', '20240101120000_create_users'],
      // Dashes in a revision become _ in the name, so they cannot make it look like another database's.
      ['app', '1700000000000_create-users'],
      ['app-r1', 'a-b c-d'],
    ] as const) {
      const pattern = dumpPattern(database);
      expect(backupFileName(database, revision, at, 'custom')).toMatch(pattern);
      expect(backupFileName(database, revision, at, 'plain')).toMatch(pattern);
      expect(backupFileName(database, revision, at, 'custom').replace(/\.dump$/, '-2.dump')).toMatch(pattern);
    }
  });

  it('never take a dump of database app-r1 for one of app, nor the other way round', () => {
    const app = dumpPattern('app');
    const appR1 = dumpPattern('app-r1');
    const ofAppR1 = ['app-r1-r5-20260101T000000Z.dump', 'app-r1-r0-20260101T000000Z-2.sql', 'app-r1-r1-20260101T000000Z.dump'];
    const ofApp = ['app-r1-20260101T000000Z.dump', 'app-r1-20260101T000000Z-2.dump', 'app-r5-20260101T000000Z.sql'];
    for (const name of ofAppR1) {
      expect(name).toMatch(appR1);
      expect(name).not.toMatch(app);
    }
    for (const name of ofApp) {
      expect(name).toMatch(app);
      expect(name).not.toMatch(appR1);
    }
    // A database whose name looks like a whole dump name of another.
    expect('app-r1-20260101T000000Z-r2-20260102T000000Z.dump').not.toMatch(app);
  });

  it('uses the same file-name rule as backupFileName', () => {
    expect(safeName('my db/ü')).toBe('my_db__');
    expect(backupFileName('my db/ü', '1', new Date(0), 'custom').startsWith(`${safeName('my db/ü')}-r1-`)).toBe(true);
    // A dot in the name is a dot, not any character.
    expect('shopXv2-r1-20260101T000000Z.dump').not.toMatch(dumpPattern('shop.v2'));
  });
});

describe('removing older dumps', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'retention-'));
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    await fs.chmod(dir, 0o700).catch(() => undefined);
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** Creates the files (empty), returns their absolute paths. */
  async function files(...names: string[]): Promise<string[]> {
    for (const name of names) await fs.writeFile(path.join(dir, name), 'x');
    return names.map((name) => path.join(dir, name));
  }

  const left = async () => (await fs.readdir(dir)).sort();
  const age = (text: string): Retention => parseRetention(text) as Retention;

  it('removes the dumps older than the age, oldest first, and keeps the rest', async () => {
    const [old2, old1] = await files('app-r2-20260301T000000Z.dump', 'app-r1-20260220T000000Z.sql');
    await files('app-r3-20260305T000000Z.dump', 'app-r4-20260310T110000Z.dump');
    const [taken] = await files('app-r4-20260310T120000Z.dump');
    const result = await pruneBackups({ dir, database: 'app', keep: taken!, retention: age('7d'), now: NOW });
    expect(result).toEqual({ removed: [old1, old2], kept: 3, failed: [] });
    expect(await left()).toEqual(['app-r3-20260305T000000Z.dump', 'app-r4-20260310T110000Z.dump', 'app-r4-20260310T120000Z.dump']);
  });

  it('keeps a dump exactly as old as the age', async () => {
    await files('app-r1-20260309T120000Z.dump', 'app-r1-20260309T115959Z.dump');
    const [taken] = await files('app-r2-20260310T120000Z.dump');
    const result = await pruneBackups({ dir, database: 'app', keep: taken!, retention: age('1d'), now: NOW });
    expect(result.removed.map((file) => path.basename(file))).toEqual(['app-r1-20260309T115959Z.dump']);
  });

  it('keeps the newest dumps for a count, the one just taken among them', async () => {
    const removed = await files('app-r1-20260101T000000Z.dump', 'app-r2-20260102T000000Z.sql');
    await files('app-r3-20260103T000000Z.dump', 'app-r4-20260104T000000Z.dump');
    const [taken] = await files('app-r5-20260105T000000Z.dump');
    const result = await pruneBackups({ dir, database: 'app', keep: taken!, retention: age('3'), now: NOW });
    expect(result).toEqual({ removed, kept: 3, failed: [] });
    expect(await left()).toEqual(['app-r3-20260103T000000Z.dump', 'app-r4-20260104T000000Z.dump', 'app-r5-20260105T000000Z.dump']);
  });

  it('never removes the dump just taken, even when its name looks older', async () => {
    // A clock that went back: the new dump's name is the oldest.
    const [taken] = await files('app-r9-20250101T000000Z.dump');
    const [older, newer] = await files('app-r7-20260101T000000Z.dump', 'app-r8-20260102T000000Z.dump');
    expect(await pruneBackups({ dir, database: 'app', keep: taken!, retention: age('1'), now: NOW })).toEqual({
      removed: [older, newer],
      kept: 1,
      failed: [],
    });
    expect(await pruneBackups({ dir, database: 'app', keep: taken!, retention: age('1h'), now: NOW })).toEqual({ removed: [], kept: 1, failed: [] });
    expect(await left()).toEqual(['app-r9-20250101T000000Z.dump']);
  });

  it('recognises the dump just taken however its path is spelled', async () => {
    const [taken] = await files('app-r2-20260310T120000Z.dump');
    await files('app-r1-20260309T120000Z.dump');
    const spelled = path.join(dir, '..', path.basename(dir), '.', 'app-r2-20260310T120000Z.dump');
    const result = await pruneBackups({ dir, database: 'app', keep: spelled, retention: age('1'), now: NOW });
    expect(result.removed.map((file) => path.basename(file))).toEqual(['app-r1-20260309T120000Z.dump']);
    expect(await left()).toEqual([path.basename(taken!)]);
  });

  it('orders dumps of the same second by their -N', async () => {
    const [first, second, third] = await files('app-r1-20260101T000000Z.dump', 'app-r1-20260101T000000Z-2.dump', 'app-r1-20260101T000000Z-3.dump');
    // Written in the opposite order of their names, so that the modification time would say otherwise.
    await fs.utimes(first!, new Date(NOW), new Date(NOW));
    await fs.utimes(third!, new Date(0), new Date(0));
    const [taken] = await files('app-r2-20260102T000000Z.dump');
    const result = await pruneBackups({ dir, database: 'app', keep: taken!, retention: age('2'), now: NOW });
    expect(result.removed).toEqual([first, second]);
    expect(await left()).toEqual(['app-r1-20260101T000000Z-3.dump', 'app-r2-20260102T000000Z.dump']);
  });

  it("leaves other databases' dumps alone, app-r1's included", async () => {
    const [removed] = await files('app-r1-20260101T000000Z.dump');
    const others = ['app-r1-r0-20200101T000000Z.dump', 'app-r1-r5-20200101T000000Z-2.sql', 'application-r1-20200101T000000Z.dump', 'xapp-r1-20200101T000000Z.dump'];
    await files(...others);
    const [taken] = await files('app-r2-20260310T120000Z.dump');
    expect(await pruneBackups({ dir, database: 'app', keep: taken!, retention: age('1'), now: NOW })).toEqual({ removed: [removed], kept: 1, failed: [] });
    expect(await left()).toEqual([...others, 'app-r2-20260310T120000Z.dump'].sort());

    // And the other way round: app-r1's clean-up does not see app's dumps.
    const [appOld] = await files('app-r3-20200101T000000Z.dump');
    const [takenR1] = await files('app-r1-r6-20260310T120000Z.dump');
    const result = await pruneBackups({ dir, database: 'app-r1', keep: takenR1!, retention: age('1'), now: NOW });
    expect(result.removed.map((file) => path.basename(file)).sort()).toEqual(['app-r1-r0-20200101T000000Z.dump', 'app-r1-r5-20200101T000000Z-2.sql']);
    expect(await fs.stat(appOld!)).toBeTruthy();
  });

  it('leaves files with other names, links, directories and subdirectories alone', async () => {
    const strangers = [
      'notes.txt',
      'app-r5-20200101T000000Z.dump.bak',
      'app-r5-latest.dump',
      'app-r5-20200101T000000Z.tar',
      'app-r5-20200101T000000Z-1234.dump',
      'app-r5-20201399T000000Z.dump',
      '.app-r5-20200101T000000Z.dump',
    ];
    await files(...strangers);
    const [target] = await files('app-r1-20200101T000000Z.dump');
    await fs.symlink(target!, path.join(dir, 'app-r2-20200101T000000Z.dump'));
    await fs.symlink(path.join(dir, 'missing'), path.join(dir, 'app-r3-20200101T000000Z.dump'));
    await fs.mkdir(path.join(dir, 'app-r4-20200101T000000Z.dump'));
    await fs.mkdir(path.join(dir, 'old'));
    await fs.writeFile(path.join(dir, 'old', 'app-r0-20200101T000000Z.dump'), 'x');
    const [taken] = await files('app-r6-20260310T120000Z.dump');
    const result = await pruneBackups({ dir, database: 'app', keep: taken!, retention: age('1h'), now: NOW });
    expect(result).toEqual({ removed: [target], kept: 1, failed: [] });
    expect(await left()).toEqual(
      [...strangers, 'app-r2-20200101T000000Z.dump', 'app-r3-20200101T000000Z.dump', 'app-r4-20200101T000000Z.dump', 'app-r6-20260310T120000Z.dump', 'old'].sort(),
    );
    expect(await fs.readdir(path.join(dir, 'old'))).toEqual(['app-r0-20200101T000000Z.dump']);
  });

  it('reports a dump it cannot remove and goes on with the others', async () => {
    const [stuck, gone] = await files('app-r1-20200101T000000Z.dump', 'app-r2-20200102T000000Z.dump');
    const [taken] = await files('app-r3-20260310T120000Z.dump');
    // Root removes files from a read-only directory, and the tests run as root: the failure is simulated.
    const unlink = fs.unlink;
    vi.spyOn(fs, 'unlink').mockImplementation(async (file) => {
      if (file === stuck) throw Object.assign(new Error(`EPERM: operation not permitted, unlink '${stuck}'`), { code: 'EPERM' });
      return unlink(file);
    });
    const result = await pruneBackups({ dir, database: 'app', keep: taken!, retention: age('1'), now: NOW });
    expect(result).toEqual({ removed: [gone], kept: 1, failed: [{ path: stuck, reason: `EPERM: operation not permitted, unlink '${stuck}'` }] });
    expect(await left()).toEqual(['app-r1-20200101T000000Z.dump', 'app-r3-20260310T120000Z.dump']);
  });

  it.skipIf(process.getuid?.() === 0)('reports the dumps of a read-only directory (not as root, who may remove them)', async () => {
    const [old] = await files('app-r1-20200101T000000Z.dump');
    const [taken] = await files('app-r3-20260310T120000Z.dump');
    await fs.chmod(dir, 0o500);
    const result = await pruneBackups({ dir, database: 'app', keep: taken!, retention: age('1'), now: NOW });
    expect(result).toMatchObject({ removed: [], kept: 1, failed: [{ path: old }] });
  });

  it('counts a dump removed meanwhile as neither removed nor failed', async () => {
    const [vanished] = await files('app-r1-20200101T000000Z.dump');
    const [taken] = await files('app-r3-20260310T120000Z.dump');
    const unlink = fs.unlink;
    vi.spyOn(fs, 'unlink').mockImplementation(async (file) => {
      await unlink(file);
      if (file === vanished) await unlink(file);
    });
    expect(await pruneBackups({ dir, database: 'app', keep: taken!, retention: age('1'), now: NOW })).toEqual({ removed: [], kept: 1, failed: [] });
  });

  it('fails naming backup-dir when the directory cannot be read', async () => {
    const missing = path.join(dir, 'nowhere');
    await expect(pruneBackups({ dir: missing, database: 'app', keep: path.join(missing, 'x.dump'), retention: age('1'), now: NOW })).rejects.toThrow(
      new RegExp(`^backup-dir "${missing}" cannot be read to remove older dumps \\(ENOENT.*\\); make it readable, or leave backup-retention empty`),
    );
  });
});
