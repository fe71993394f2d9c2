// The review workload: what the review of pending statements (input lint) and the shadow run
// (shadow-database-url) cost, each against the same run without them, in the same rounds:
//
//   plan of 100 pending files (an ADD COLUMN and a CREATE INDEX each): lint warn ÷ lint off
//   plan of 1,000 pending statements (10 files of 100):               lint warn ÷ lint off
//   plan of the 100 files with a shadow database:                      shadow ÷ lint warn
//   no-op apply of the 100 files, all applied:                         lint warn ÷ lint off (≈ 1: nothing is parsed)
//
// Every run is dist/index.js as the runner starts it, on one database at the base migration (plan is
// read-only); the no-op on a database with all of them applied. Proof of each run: exit 0 and the status
// output it must report.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pairedDifference, pairedRatio } from './stats.mjs';

/** The base table, with rows enough that the plan shows real sizes. */
const BASE = 'CREATE TABLE orders (id bigint PRIMARY KEY, status text);\nINSERT INTO orders SELECT g, $$new$$ FROM generate_series(1, 10000) AS g;\nANALYZE orders;\n';

/** `files` pending migrations after the base, `perFile` statements each (an ADD COLUMN, then a CREATE INDEX on it). */
export function writeReviewMigrations(dir, files, perFile) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, '1_orders.sql'), BASE);
  for (let f = 1; f <= files; f += 1) {
    const lines = [];
    for (let s = 0; s < perFile; s += 2) {
      const column = `c${f}_${s}`;
      lines.push(`ALTER TABLE orders ADD COLUMN ${column} int;`);
      if (s + 1 < perFile) lines.push(`CREATE INDEX orders_${column}_idx ON orders (${column});`);
    }
    writeFileSync(path.join(dir, `${f + 1}_step-${f}.sql`), `${lines.join('\n')}\n`);
  }
  return dir;
}

/** The runner's environment for one run of dist/index.js. */
function runnerCommand(root, tmp, run, inputs) {
  const output = path.join(tmp, `review-output-${run}.txt`);
  const summary = path.join(tmp, `review-summary-${run}.md`);
  writeFileSync(output, '');
  writeFileSync(summary, '');
  const env = { ...process.env, GITHUB_WORKSPACE: root, GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  return { command: { cmd: process.execPath, args: [path.join(root, 'dist', 'index.js')], env, cwd: root }, output };
}

/** The `status` output a run wrote (GitHub's output file: `status<<delimiter` … or `status=value`). */
function statusOf(outputFile) {
  const text = readFileSync(outputFile, 'utf8');
  const heredoc = /^status<<(\S+)\n([\s\S]*?)\n\1$/m.exec(text);
  if (heredoc) return heredoc[2];
  return /^status=(.*)$/m.exec(text)?.[1];
}

/**
 * The workload. `ctx`: root, tmp, logFile, freshDatabase(), dropDatabase(name), timed, rotate, say,
 * fail(tool, workload, message), rounds { warmup, rounds }.
 */
export async function reviewWorkload(ctx) {
  const { root, tmp, say } = ctx;
  const { warmup, rounds } = ctx.rounds;
  say(`\nReview: ${warmup} warm-up + ${rounds} rounds`);
  const hundred = writeReviewMigrations(path.join(tmp, 'review-100'), 100, 2);
  const thousand = writeReviewMigrations(path.join(tmp, 'review-1000'), 10, 100);
  let run = 0;
  const go = async (id, inputs, expected) => {
    const { command, output } = runnerCommand(root, tmp, ++run, inputs);
    const m = await ctx.timed(command, ctx.logFile);
    const status = m.code === 0 ? statusOf(output) : undefined;
    if (m.code !== 0 || status !== expected) {
      ctx.fail(id, 'review', `exit ${m.code}, status ${status ?? 'none'} (expected ${expected})`);
      return undefined;
    }
    return m;
  };

  const dbs = [];
  try {
    const plan100 = await ctx.freshDatabase();
    const plan1000 = await ctx.freshDatabase();
    const noop = await ctx.freshDatabase();
    const shadow = await ctx.freshDatabase();
    dbs.push(plan100, plan1000, noop, shadow);
    // Set-up (not timed): the base migration on the plan databases, everything on the no-op one.
    const setUp = [
      [plan100, hundred, { 'target-revision': '1' }],
      [plan1000, thousand, { 'target-revision': '1' }],
      [noop, hundred, {}],
    ];
    for (const [db, dir, extra] of setUp) {
      if (!(await go('set-up', { 'database-url': db.url, 'migrations-dir': dir, lint: 'off', ...extra }, 'applied'))) return undefined;
    }
    const participants = [
      { id: 'plan100-off', inputs: { 'database-url': plan100.url, 'migrations-dir': hundred, command: 'plan', lint: 'off' }, status: 'pending' },
      { id: 'plan100-warn', inputs: { 'database-url': plan100.url, 'migrations-dir': hundred, command: 'plan', lint: 'warn' }, status: 'pending' },
      {
        id: 'plan100-shadow',
        inputs: { 'database-url': plan100.url, 'migrations-dir': hundred, command: 'plan', lint: 'warn', 'shadow-database-url': shadow.url },
        status: 'pending',
      },
      { id: 'plan1000-off', inputs: { 'database-url': plan1000.url, 'migrations-dir': thousand, command: 'plan', lint: 'off' }, status: 'pending' },
      { id: 'plan1000-warn', inputs: { 'database-url': plan1000.url, 'migrations-dir': thousand, command: 'plan', lint: 'warn' }, status: 'pending' },
      { id: 'noop-off', inputs: { 'database-url': noop.url, 'migrations-dir': hundred, lint: 'off' }, status: 'up-to-date' },
      { id: 'noop-warn', inputs: { 'database-url': noop.url, 'migrations-dir': hundred, lint: 'warn' }, status: 'up-to-date' },
    ];
    const out = { rounds, runs: Object.fromEntries(participants.map((p) => [p.id, []])) };
    const broken = new Set();
    for (let r = 0; r < warmup + rounds; r += 1) {
      const round = r - warmup;
      for (const p of ctx.rotate(participants, r)) {
        if (broken.has(p.id)) continue;
        const m = await go(p.id, p.inputs, p.status);
        if (!m) broken.add(p.id);
        else if (round >= 0) out.runs[p.id][round] = m.ms;
      }
      if (round >= 0) say(`  round ${round + 1} (ms): ${participants.map((p) => `${p.id} ${out.runs[p.id][round]?.toFixed(0) ?? '–'}`).join(', ')}`);
    }
    return out;
  } finally {
    for (const db of dbs) await ctx.dropDatabase(db.name);
  }
}

/** The comparisons the report shows: [label, numerator, denominator]. */
export const REVIEW_ROWS = [
  ['plan of 100 pending files: lint warn ÷ lint off', 'plan100-warn', 'plan100-off'],
  ['plan of 1,000 pending statements: lint warn ÷ lint off', 'plan1000-warn', 'plan1000-off'],
  ['plan of 100 files with shadow-database-url ÷ without (both lint warn)', 'plan100-shadow', 'plan100-warn'],
  ['no-op apply of 100 applied files: lint warn ÷ lint off', 'noop-warn', 'noop-off'],
];

/** The review table: each comparison's paired ratio and paired difference (median ms). Pure. */
export function reviewTable(review) {
  const lines = [`| Review (${review.rounds} rounds) | ratio | adds (median ms) |`, '|---|---:|---:|'];
  for (const [label, a, b] of REVIEW_ROWS) {
    const ratio = pairedRatio(review.runs[a] ?? [], review.runs[b] ?? []);
    const diff = pairedDifference(review.runs[a] ?? [], review.runs[b] ?? []);
    lines.push(`| ${label} | ${ratio === undefined ? '–' : `${ratio.toFixed(2)}×`} | ${diff === undefined ? '–' : diff.toFixed(0)} |`);
  }
  return lines;
}
