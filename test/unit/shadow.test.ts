import { describe, expect, it } from 'vitest';
import type { LockMode } from '../../src/review/locks.js';
import { dumpForDriver, judge, shadowRefusal, type Observation } from '../../src/review/shadow.js';

// The shadow run's pure parts: the verdict from what the catalog said before and after a statement, the
// refusals of a shadow database, and the dump made runnable by the driver. The run itself is proven on a
// real server in test/e2e/shadow.test.ts.

const ORDERS = 100;
const ACCOUNTS = 200;
const tables = (files: Record<number, string> = {}) =>
  new Map([
    [ORDERS, { name: 'orders', file: files[ORDERS] ?? '9001', covers: [] }],
    [ACCOUNTS, { name: 'accounts', file: files[ACCOUNTS] ?? '9002', covers: [] }],
  ]);
const locks = (entries: [number, LockMode[]][]) => new Map(entries.map(([oid, modes]) => [oid, new Set(modes)]));
const observation = (held: [number, LockMode[]][], named: (number | undefined)[], files: Record<number, string> = {}): Observation => ({
  locks: locks(held),
  tables: tables(files),
  named,
});
const addColumn = { table: 'orders', rewrites: true, locks: [{ relation: 'orders', mode: 'AccessExclusiveLock' as const, role: 'target' as const }] };

describe('the verdict on one statement', () => {
  it('confirms the predicted lock taken at that strength, and the predicted rewrite', () => {
    const { verdict, observed } = judge(addColumn, observation([], [ORDERS]), observation([[ORDERS, ['AccessExclusiveLock']]], [ORDERS], { [ORDERS]: '9100' }));
    expect(verdict).toEqual({ kind: 'confirmed' });
    expect(observed).toBe('ACCESS EXCLUSIVE on orders; rewrote orders');
  });

  it('is a mismatch when the server took a stronger lock, a weaker one, or none', () => {
    const share = { ...addColumn, rewrites: false, locks: [{ relation: 'orders', mode: 'ShareLock' as const, role: 'target' as const }] };
    expect(judge(share, observation([], [ORDERS]), observation([[ORDERS, ['AccessExclusiveLock']]], [ORDERS])).verdict).toEqual({
      kind: 'mismatch',
      detail: 'took ACCESS EXCLUSIVE on orders, stronger than the predicted SHARE',
    });
    expect(judge({ ...addColumn, rewrites: false }, observation([], [ORDERS]), observation([[ORDERS, ['ShareUpdateExclusiveLock']]], [ORDERS])).verdict).toEqual({
      kind: 'mismatch',
      detail: 'took only SHARE UPDATE EXCLUSIVE on orders, where ACCESS EXCLUSIVE was predicted',
    });
    expect(judge({ ...addColumn, rewrites: false }, observation([], [ORDERS]), observation([], [ORDERS])).verdict).toEqual({
      kind: 'mismatch',
      detail: 'took no lock on orders, where ACCESS EXCLUSIVE was predicted',
    });
  });

  it('is a mismatch when a rewrite was predicted and none happened, or the other way round', () => {
    expect(judge(addColumn, observation([], [ORDERS]), observation([[ORDERS, ['AccessExclusiveLock']]], [ORDERS])).verdict).toEqual({
      kind: 'mismatch',
      detail: 'did not rewrite orders, where a rewrite was predicted',
    });
    expect(judge({ ...addColumn, rewrites: false }, observation([], [ORDERS]), observation([[ORDERS, ['AccessExclusiveLock']]], [ORDERS], { [ORDERS]: 'x' })).verdict).toEqual({
      kind: 'mismatch',
      detail: 'rewrote orders, which was not predicted',
    });
  });

  it('is a mismatch when a table the review did not name got a lock that blocks the application; a weak one is no mismatch', () => {
    const after = observation([[ORDERS, ['AccessExclusiveLock']], [ACCOUNTS, ['ShareRowExclusiveLock']]], [ORDERS], { [ORDERS]: 'x' });
    expect(judge(addColumn, observation([], [ORDERS]), after).verdict).toEqual({
      kind: 'mismatch',
      detail: 'also took SHARE ROW EXCLUSIVE on accounts, which was not predicted',
    });
    const reading = observation([[ORDERS, ['AccessExclusiveLock']], [ACCOUNTS, ['AccessShareLock', 'RowExclusiveLock']]], [ORDERS], { [ORDERS]: 'x' });
    const { verdict, observed } = judge(addColumn, observation([], [ORDERS]), reading);
    expect(verdict).toEqual({ kind: 'confirmed' });
    expect(observed).toBe('ACCESS EXCLUSIVE on orders, ROW EXCLUSIVE on accounts; rewrote orders');
  });

  it('says not observed when the session already held the lock before the statement, and still checks the rest', () => {
    const held = observation([[ORDERS, ['AccessExclusiveLock']]], [ORDERS]);
    expect(judge(addColumn, held, observation([[ORDERS, ['AccessExclusiveLock']]], [ORDERS], { [ORDERS]: 'x' })).verdict).toEqual({
      kind: 'not observed',
      why: 'an earlier statement of its transaction already holds the lock on orders',
    });
    // A weaker lock held before hides nothing.
    const weaker = observation([[ORDERS, ['ShareLock']]], [ORDERS]);
    expect(judge({ ...addColumn, rewrites: false }, weaker, observation([[ORDERS, ['ShareLock']]], [ORDERS])).verdict.kind).toBe('mismatch');
    // The rewrite is still checked when the lock cannot be.
    expect(judge(addColumn, held, observation([[ORDERS, ['AccessExclusiveLock']]], [ORDERS])).verdict.kind).toBe('mismatch');
  });

  it('skips a relation that exists neither before nor after (DROP … IF EXISTS), and names a new one from after', () => {
    const drop = { table: 'gone', rewrites: false, locks: [{ relation: 'gone', mode: 'AccessExclusiveLock' as const, role: 'target' as const }] };
    expect(judge(drop, observation([], [undefined]), observation([], [undefined])).verdict).toEqual({ kind: 'confirmed' });
  });
});

describe('relations that belong to a predicted table', () => {
  const EVENTS = 300;
  const PART = 301;
  const SEQ = 302;
  const OTHER = 303;
  const watched = (files: Record<number, string> = {}) =>
    new Map([
      [EVENTS, { name: 'events', file: '0', covers: [] }],
      [PART, { name: 'events_2025', file: files[PART] ?? '7001', covers: [EVENTS] }],
      [SEQ, { name: 'events_id_seq', file: '7002', covers: [EVENTS] }],
      [OTHER, { name: 'audit', file: '7003', covers: [] }],
    ]);
  const seen = (held: [number, LockMode[]][], files: Record<number, string> = {}): Observation => ({ locks: locks(held), tables: watched(files), named: [EVENTS] });
  const alter = { table: 'events', rewrites: true, locks: [{ relation: 'events', mode: 'AccessExclusiveLock' as const, role: 'target' as const }] };

  it("takes a partition's and an owned sequence's locks, and a partition's rewrite, as the table's", () => {
    const after = seen([[EVENTS, ['AccessExclusiveLock']], [PART, ['AccessExclusiveLock']], [SEQ, ['AccessExclusiveLock']]], { [PART]: '7100' });
    const { verdict, observed } = judge(alter, seen([]), after);
    expect(verdict).toEqual({ kind: 'confirmed' });
    expect(observed).toBe('ACCESS EXCLUSIVE on events; rewrote events_2025');
    // No partition rewritten: the predicted rewrite did not happen.
    expect(judge(alter, seen([]), seen([[EVENTS, ['AccessExclusiveLock']]])).verdict).toEqual({
      kind: 'mismatch',
      detail: 'did not rewrite events, where a rewrite was predicted',
    });
  });

  it("is a mismatch when a partition's lock is stronger than the one predicted for its table", () => {
    const validate = { table: 'events', rewrites: false, locks: [{ relation: 'events', mode: 'ShareUpdateExclusiveLock' as const, role: 'target' as const }] };
    const after = seen([[EVENTS, ['ShareUpdateExclusiveLock']], [PART, ['AccessExclusiveLock']]]);
    expect(judge(validate, seen([]), after).verdict).toEqual({
      kind: 'mismatch',
      detail: 'took ACCESS EXCLUSIVE on events_2025, a part of events, stronger than the predicted SHARE UPDATE EXCLUSIVE',
    });
    expect(judge(validate, seen([]), seen([[EVENTS, ['ShareUpdateExclusiveLock']], [PART, ['ShareUpdateExclusiveLock']]])).verdict).toEqual({ kind: 'confirmed' });
  });

  it('still reports a table that belongs to none of them', () => {
    const after = seen([[EVENTS, ['AccessExclusiveLock']], [OTHER, ['ShareLock']]], { [PART]: '7100' });
    expect(judge(alter, seen([]), after).verdict).toEqual({ kind: 'mismatch', detail: 'also took SHARE on audit, which was not predicted' });
  });
});

describe('what may serve as the shadow database', () => {
  const target = { system: '7312', database: 16384, version: 160004 };
  it('refuses the target itself, by system identifier and database oid', () => {
    expect(shadowRefusal(target, { ...target }, [])).toMatch(/^Input shadow-database-url points at the target database itself/);
    // Another database of the same server is another database.
    expect(shadowRefusal(target, { ...target, database: 16390 }, [])).toBeUndefined();
    // The same oid on another server is another database too.
    expect(shadowRefusal(target, { ...target, system: '9999' }, [])).toBeUndefined();
  });
  it('refuses another major version, naming both and the fix', () => {
    expect(shadowRefusal(target, { system: '1', database: 5, version: 150008 }, [])).toBe(
      "The shadow database runs PostgreSQL 15 and the target 16: locks and rewrites seen on another major version prove nothing about the target's; " +
        'give shadow-database-url a PostgreSQL 16 database (e.g. a postgres:16 service). Nothing was changed.',
    );
    expect(shadowRefusal(target, { system: '1', database: 5, version: 160010 }, [])).toBeUndefined();
  });
  it('refuses a shadow that is not empty, naming what is in it', () => {
    expect(shadowRefusal(target, { system: '1', database: 5, version: 160004 }, ['table public.keep'])).toMatch(/^The shadow database is not empty \(it has table public\.keep\)/);
    expect(shadowRefusal(target, { system: '1', database: 5, version: 160004 }, ['a', 'b', 'c', 'd', 'e'])).toContain('(it has a, b, c, d, e, …)');
  });
});

describe('the dump as the driver can run it', () => {
  it("drops psql's \\restrict and \\unrestrict lines and nothing else", () => {
    const dump = '\\restrict AbC123\nSET statement_timeout = 0;\nCREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$ SELECT \'\\restrict x\' $$;\n\\unrestrict AbC123\n';
    expect(dumpForDriver(dump)).toBe("\nSET statement_timeout = 0;\nCREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$ SELECT '\\restrict x' $$;\n\n");
  });
});
