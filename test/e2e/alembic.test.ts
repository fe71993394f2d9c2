import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PYTHON, REPO } from '../support/engines.js';
import { ARTIFACTS, shippedSuite, type ShippedRun } from '../support/shipped.js';

// Alembic's own shapes, through both shipped artifacts: a branch and its merge, two unmerged heads, an
// env.py that reads DATABASE_URL, and Alembic run by hand before and after us.

const { database, run } = shippedSuite();
const fixture = (name: string) => path.join(REPO, 'test/fixtures/alembic', name, 'alembic.ini');
const alembicRun = (artifact: (typeof ARTIFACTS)[number], db: { url: string }, ini: string, inputs: Record<string, string> = {}) =>
  run(artifact, db, 'unused', { engine: 'alembic', 'alembic-config': ini, python: PYTHON, ...inputs });
const errorOf = (result: ShippedRun) => (result.artifact === 'action' ? result.outputs.error! : result.log);

/** `python -m alembic <args>` on a copy of `ini` whose sqlalchemy.url is `url` (plain Alembic reads only the ini). */
function alembicByHand(ini: string, url: string, ...args: string[]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'alembic-by-hand-'));
  const copy = path.join(dir, 'alembic.ini');
  const scripts = path.join(path.dirname(ini), 'migrations');
  writeFileSync(
    copy,
    readFileSync(ini, 'utf8')
      .replace(/^script_location = .*$/m, `script_location = ${scripts}`)
      .replace(/^sqlalchemy\.url = .*$/m, () => `sqlalchemy.url = ${url.replace(/^postgres:/, 'postgresql:').replace(/%/g, '%%')}`),
  );
  return execFileSync(PYTHON, ['-m', 'alembic', '-c', copy, ...args], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe.each(ARTIFACTS)('alembic through the %s', (artifact) => {
  it('applies a branch and its merge, reporting the one head', async () => {
    const db = await database();
    const result = await alembicRun(artifact, db, fixture('branches'));
    expect(result.code, result.log).toBe(0);
    expect(result.outputs).toMatchObject({ status: 'applied', revision: 'e6', 'applied-count': '5', 'pending-count': '0' });
    expect(await db.query('SELECT version_num FROM alembic_version')).toEqual([{ version_num: 'e6' }]);
  });

  it('rolls back across a branch and its merge: -1 from the top; a -1 at the merge refused with the revisions to name; a named target', async () => {
    const db = await database();
    const ini = fixture('branches');
    const tables = async () => (await db.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).map((r) => r.t);
    expect((await alembicRun(artifact, db, ini)).code).toBe(0);
    const top = await alembicRun(artifact, db, ini, { command: 'rollback', 'target-revision': '-1', backup: 'false' });
    expect(top.code, top.log).toBe(0);
    expect(top.outputs).toMatchObject({ status: 'rolled-back', revision: 'm4', 'previous-revision': 'e6', 'rolled-back-count': '1' });

    const ambiguous = await alembicRun(artifact, db, ini, { command: 'rollback', 'target-revision': '-1', backup: 'false' });
    expect(ambiguous.code).toBe(1);
    expect(errorOf(ambiguous)).toMatch(/merge point/);
    expect(errorOf(ambiguous)).toMatch(/one of b2 "left", c3 "right"/);
    expect(errorOf(ambiguous)).toMatch(/Nothing was changed/);
    expect(await db.query('SELECT version_num FROM alembic_version')).toEqual([{ version_num: 'm4' }]);

    // Alembic's own walk: a downgrade to b2 undoes what is above b2 only (the merge); c3 stays a head.
    const left = await alembicRun(artifact, db, ini, { command: 'rollback', 'target-revision': 'b2', backup: 'false' });
    expect(left.code, left.log).toBe(0);
    expect(left.outputs).toMatchObject({ status: 'rolled-back', 'previous-revision': 'm4', 'rolled-back-count': '1' });
    // Two heads: joined by a space in the outputs (an underscore in the CLI's dotenv report, which allows no spaces).
    expect(left.outputs.revision).toBe(artifact === 'action' ? 'b2 c3' : 'b2_c3');
    expect(await tables()).toEqual(['alembic_version', 't_a', 't_b', 't_c']);

    // The common ancestor undoes both branches.
    const common = await alembicRun(artifact, db, ini, { command: 'rollback', 'target-revision': 'a1', backup: 'false' });
    expect(common.code, common.log).toBe(0);
    expect(common.outputs).toMatchObject({ status: 'rolled-back', revision: 'a1', 'rolled-back-count': '2' });
    expect(await tables()).toEqual(['alembic_version', 't_a']);

    const all = await alembicRun(artifact, db, ini, { command: 'rollback', 'target-revision': 'base', backup: 'false' });
    expect(all.code, all.log).toBe(0);
    expect(all.outputs).toMatchObject({ status: 'rolled-back', revision: '', 'rolled-back-count': '1' });
    expect(await tables()).toEqual(['alembic_version']);
    expect((await alembicRun(artifact, db, ini)).outputs).toMatchObject({ status: 'applied', revision: 'e6', 'applied-count': '5' });
  });

  it('refuses two unmerged heads before anything runs, naming them and the fix', async () => {
    const db = await database();
    const result = await alembicRun(artifact, db, fixture('two-heads'));
    expect(result.code).toBe(1);
    expect(errorOf(result)).toMatch(/b2.*c3|c3.*b2/);
    expect(errorOf(result)).toContain('alembic merge heads');
    expect(await db.query("SELECT to_regclass('alembic_version') AS t")).toEqual([{ t: null }]);
    // A target picks one head: that branch is applied.
    const one = await alembicRun(artifact, db, fixture('two-heads'), { 'target-revision': 'b2' });
    expect(one.code, one.log).toBe(0);
    expect(one.outputs).toMatchObject({ status: 'applied', revision: 'b2', 'applied-count': '2' });
  });

  it('works with an env.py that reads DATABASE_URL itself', async () => {
    const db = await database();
    const result = await alembicRun(artifact, db, fixture('env-reads-database-url'));
    expect(result.code, result.log).toBe(0);
    expect(result.outputs).toMatchObject({ status: 'applied', 'applied-count': '2' });
  });
});

describe('alembic run by hand, before and after us', () => {
  const example = path.join(REPO, 'migrations-example/alembic/alembic.ini');

  it('after us, alembic upgrade head finds nothing to do', async () => {
    const db = await database();
    const ours = await alembicRun('action', db, example);
    expect(ours.outputs).toMatchObject({ status: 'applied', revision: '0003' });
    const byHand = alembicByHand(example, db.url, 'upgrade', 'head');
    expect(byHand).not.toMatch(/Running upgrade/);
    expect(alembicByHand(example, db.url, 'current')).toMatch(/^0003 \(head\)/m);
  });

  it('after alembic upgrade head, we find nothing to do', async () => {
    const db = await database();
    alembicByHand(example, db.url, 'upgrade', '0002');
    const partial = await alembicRun('cli', db, example);
    expect(partial.outputs).toMatchObject({ status: 'applied', 'previous-revision': '0002', revision: '0003', 'applied-count': '1' });
    alembicByHand(example, db.url, 'upgrade', 'head');
    const again = await alembicRun('action', db, example);
    expect(again.code, again.log).toBe(0);
    expect(again.outputs).toMatchObject({ status: 'up-to-date', revision: '0003', 'applied-count': '0' });
  });
});
