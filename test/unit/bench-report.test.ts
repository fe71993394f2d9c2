import { describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript module of the benchmark, without type declarations
import { README_END, README_START, checkTargets, renderMarkdown, renderReadmeSection, renderSvg, replaceReadmeSection } from '../../bench/lib/report.mjs';
// @ts-expect-error plain JavaScript module of the benchmark, without type declarations
import { growthPerItem, median, pairedRatio, summarize } from '../../bench/lib/stats.mjs';
// @ts-expect-error plain JavaScript module of the benchmark, without type declarations
import { FORMATS, migrationSql } from '../../bench/lib/tools.mjs';

type Check = { name: string; value: number; limit: number; met: boolean; note?: string };

const series = (ms: number[], rssKiB: number[] = []) => ({ ms, rssKiB });

/** Results as the benchmark writes them, small enough to check by hand. */
function results() {
  return {
    machine: { date: '2026-11-23', cpu: '2 × Test CPU', memoryGiB: 24, os: 'Linux', node: 'v20.20.2', postgres: '15.18', fsync: 'off' },
    labels: { ours: 'migrate-action (CLI)', 'postgres-migrations': 'postgres-migrations <migrate()>', 'node-pg': 'Node + pg', psql: 'psql' },
    nodePeers: ['postgres-migrations'],
    scale: {
      1000: {
        n: 1000,
        noop: { ours: series([110, 120, 130]), 'postgres-migrations': series([150, 160, 170]), 'node-pg': series([100, 100, 100]) },
        apply: { ours: series([2000, 2100, 2200]), 'postgres-migrations': series([2500, 2600, 2700]), psql: series([1900, 1900, 1900]) },
      },
      10000: {
        n: 10000,
        noop: { ours: series([140, 150, 160], [90_000]), 'postgres-migrations': series([300, 320, 340], [130_000]), 'node-pg': series([100, 100, 100]) },
        apply: { ours: series([20000, 21000, 22000], [95_000]), 'postgres-migrations': series([], []), psql: series([19000, 19000, 19000]) },
      },
    },
    contention: { runners: 8, n: 200, rounds: 3, single: { ours: [1000, 1000, 1000] }, together: { ours: [1200, 1250, 1400] }, failedRunners: { ours: 0 } },
    backup: { sizeBytes: 500 * 2 ** 20, rounds: 3, ours: [10500, 10400, 10600], plain: [10000, 10000, 10000], pgDumpOnly: [9000, 9000, 9000] },
    failures: [{ tool: 'postgres-migrations', workload: 'apply N=10000', message: 'exit 1: out of shared memory' }],
  };
}

describe('benchmark statistics', () => {
  it('takes medians, min and max', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow();
    expect(summarize([5, 1, 3])).toEqual({ median: 3, min: 1, max: 5, n: 3 });
    expect(summarize([])).toBeUndefined();
  });

  it('pairs ratios by round and skips rounds where either side is missing', () => {
    // Round ratios 2, 1 and 3: the median is 2, not the ratio of medians (20/10).
    expect(pairedRatio([20, 10, 30], [10, 10, 10])).toBe(2);
    expect(pairedRatio([20, Number.NaN, 30], [10, 10, 10])).toBe(2.5);
    expect(pairedRatio([1], [])).toBeUndefined();
  });

  it('tells linear from quadratic growth', () => {
    expect(growthPerItem([{ n: 100, ms: 10 }, { n: 1000, ms: 100 }])).toBeCloseTo(1);
    expect(growthPerItem([{ n: 100, ms: 10 }, { n: 1000, ms: 1000 }])).toBeCloseTo(10);
    expect(growthPerItem([{ n: 100, ms: 10 }])).toBeUndefined();
  });
});

describe('benchmark report', () => {
  it('checks every target against paired ratios', () => {
    const checks = checkTargets(results()) as Check[];
    const by = (prefix: string) => checks.find((c) => c.name.startsWith(prefix))!;
    expect(by('No-op at N=1,000')).toMatchObject({ value: 1.2, met: false });
    expect(by('No-op at N=10,000')).toMatchObject({ value: 1.5, met: true });
    expect(by('Apply at N=1,000').value).toBeCloseTo(2100 / 1900);
    expect(by('Contention')).toMatchObject({ value: 1.25, met: true });
    expect(by('Backup').value).toBeCloseTo(1.05);
    expect(by('Backup').met).toBe(true);
    expect(by('Faster than every Node peer')).toMatchObject({ met: true });
    expect(by('Faster than every Node peer').value).toBeCloseTo(2100 / 2600);
    expect(by('Faster than every Node peer').note).toBe('apply N=1,000 vs postgres-migrations <migrate()>');
    expect(by('Peak RSS')).toMatchObject({ met: true, note: '93 MiB vs 127 MiB' });
    expect(by('Linear: apply').value).toBeCloseTo(21000 / 10000 / (2100 / 1000));
  });

  it('fails the peer target when a peer is faster anywhere', () => {
    const r = results();
    r.scale[1000].noop['postgres-migrations'] = series([100, 110, 120]);
    const peer = (checkTargets(r) as Check[]).find((c) => c.name.startsWith('Faster than every Node peer'))!;
    expect(peer.met).toBe(false);
    expect(peer.note).toBe('no-op N=1,000 vs postgres-migrations <migrate()>');
  });

  it('renders tables with failures named, and the README section between its markers', () => {
    const md = renderMarkdown(results()) as string;
    expect(md).toContain('| **migrate-action (CLI)** | 0.120 s (1.20×) | 0.150 s (1.50×) |');
    expect(md).toContain('| postgres-migrations <migrate()> | 2.60 s (1.37×) | failed |');
    expect(md).toContain('- postgres-migrations <migrate()>, apply N=10000: exit 1: out of shared memory');
    expect(md).toMatch(/\| No-op at N=1,000: ÷ Node\+pg floor \| 1\.20× \| ≤ 1\.15 \| \*\*no\*\* \|/);
    const readme = `# x\n\n${README_START}\nold\n${README_END}\n\nrest\n`;
    const updated = replaceReadmeSection(readme, renderReadmeSection(results())) as string;
    expect(updated.startsWith(`# x\n\n${README_START}\n`)).toBe(true);
    expect(updated.endsWith(`${README_END}\n\nrest\n`)).toBe(true);
    expect(updated).not.toContain('\nold\n');
    expect(updated).toContain('2 × Test CPU, 24 GiB');
    expect(() => replaceReadmeSection('# no markers', 'x')).toThrow(/bench:start/);
  });

  it('draws one bar per measured tool, with labels escaped', () => {
    const svg = renderSvg(results()) as string;
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('postgres-migrations &lt;migrate()&gt;');
    expect(svg).not.toContain('<migrate()>');
    // 4 panels of 3, 3, 3 and 2 bars (the failed apply has none), contention 1, backup 2; plus the background.
    expect(svg.match(/<rect /g)).toHaveLength(1 + 3 + 3 + 3 + 2 + 1 + 2);
  });
});

describe('benchmark workload', () => {
  it('writes the same SQL in every tool format, in the order each tool sorts its files', () => {
    for (const format of Object.keys(FORMATS)) {
      const names = [1, 2, 10].map((i) => (FORMATS[format] as (i: number) => [string, string])(i));
      for (const [, text] of names) expect(text).toContain('CREATE TABLE m');
      expect(names[2]![1]).toContain(migrationSql(10));
    }
    const dbmate = [9, 10].map((i) => (FORMATS.dbmate as (i: number) => [string, string])(i)[0]);
    expect([...dbmate].sort()).toEqual(dbmate);
    expect(migrationSql(7)).toBe("CREATE TABLE m7 (id int PRIMARY KEY, v text);\nCREATE INDEX m7_v ON m7 (v);\nINSERT INTO m7 VALUES (7, 'x');\n");
  });
});

describe('the review workload', () => {
  it("reports each comparison's paired ratio and the milliseconds it adds, in the report and the README's section", async () => {
    // @ts-expect-error plain JavaScript module of the benchmark, without type declarations
    const { reviewTable, writeReviewMigrations } = await import('../../bench/lib/review.mjs');
    const review = {
      rounds: 3,
      runs: {
        'plan100-off': [100, 200, 100],
        'plan100-warn': [300, 400, 250],
        'plan100-shadow': [600, 800, 500],
        'plan1000-off': [100, 100, 100],
        'plan1000-warn': [350, 360, 340],
        'noop-off': [140, 150, 130],
        'noop-warn': [140, 151, 131],
      },
    };
    expect(reviewTable(review)).toEqual([
      '| Review (3 rounds) | ratio | adds (median ms) |',
      '|---|---:|---:|',
      '| plan of 100 pending files: lint warn ÷ lint off | 2.50× | 200 |',
      '| plan of 1,000 pending statements: lint warn ÷ lint off | 3.50× | 250 |',
      '| plan of 100 files with shadow-database-url ÷ without (both lint warn) | 2.00× | 300 |',
      '| no-op apply of 100 applied files: lint warn ÷ lint off | 1.01× | 1 |',
    ]);
    expect(renderMarkdown({ ...results(), review })).toContain('| plan of 1,000 pending statements: lint warn ÷ lint off | 3.50× | 250 |');
    expect(renderReadmeSection({ ...results(), review })).toContain('| no-op apply of 100 applied files: lint warn ÷ lint off | 1.01× | 1 |');
    // The workload's migrations: the base, then files of ADD COLUMN and CREATE INDEX, with unique names.
    const { mkdtempSync, readdirSync, readFileSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = writeReviewMigrations(mkdtempSync(path.join(os.tmpdir(), 'bench-review-')), 10, 100);
    const files = readdirSync(dir);
    expect(files).toHaveLength(11);
    const statements = files.filter((f) => f !== '1_orders.sql').flatMap((f) => readFileSync(path.join(dir, f), 'utf8').trim().split('\n'));
    expect(statements).toHaveLength(1000);
    expect(statements.filter((s) => s.startsWith('CREATE INDEX'))).toHaveLength(500);
  });
});
