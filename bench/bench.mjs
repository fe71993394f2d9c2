// `npm run bench`: migrate-action against the floors (what Node, pg and psql cost anyway) and against the
// tools teams use instead, side by side in one run on one throwaway PostgreSQL server that this script
// starts. Every measurement is a whole process from spawn to exit. Tools take turns within each round
// (the order rotates), so that the machine's drift hits all of them alike; ratios are medians of the
// per-round ratios. Results: bench/results/latest.{md,svg,json} and the table in the README.
//
//   npm run bench                      all workloads, N = 100, 1000, 10000 (about 30 min)
//   npm run bench -- --sizes 100,1000  fewer sizes
//   npm run bench -- --smoke           every workload once at tiny sizes, results in .tmp/bench-smoke;
//                                      exits 1 if any run fails (CI runs this, not the full benchmark)
//   npm run bench -- --workloads engines --out .tmp/bench-engines
//                                      one workload (startup, scale, contention, backup, engines, review); with
//                                      --out, the README keeps its section (a full run rewrites it)
//
// Workload `engines`: migrate-action driving the job's own Alembic, node-pg-migrate and dbmate against
// each tool run alone on the same migrations, a no-op and an apply of 100 migrations (bench/lib/engines.mjs).
// Workload `review`: what the review of pending statements and the shadow run add to a plan, and that a
// no-op apply pays nothing for them (bench/lib/review.mjs).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createDatabase, startLocalPostgres } from '../scripts/local-postgres.mjs';
import { HAS_GNU_TIME, tail, timed, timedTogether } from './lib/proc.mjs';
import { renderMarkdown, renderReadmeSection, renderSvg, replaceReadmeSection } from './lib/report.mjs';
import { ENGINES, aloneId, engineLabels, engineVersions, oursCommand, oursId, writeEngineProject } from './lib/engines.mjs';
import { reviewWorkload } from './lib/review.mjs';
import { DBMATE_VERSION, ensureDbmate, floors, tools, writeMigrations, writePsqlScript } from './lib/tools.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const { values: opts } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    sizes: { type: 'string' },
    rounds: { type: 'string' },
    workloads: { type: 'string', default: 'startup,scale,contention,backup,engines,review' },
    'backup-mb': { type: 'string' },
    out: { type: 'string' },
    'render-only': { type: 'boolean', default: false },
  },
});
const smoke = opts.smoke;
const sizes = (opts.sizes ?? (smoke ? '5' : '100,1000,10000')).split(',').map(Number);
const workloads = new Set(opts.workloads.split(','));
const backupMb = Number(opts['backup-mb'] ?? (smoke ? 2 : 500));
const outDir = path.resolve(root, opts.out ?? (smoke ? '.tmp/bench-smoke' : 'bench/results'));
/** Warm-up rounds (not counted) and measured rounds per size: fewer for the slow large sizes. */
function roundsFor(n) {
  if (opts.rounds) return { warmup: 0, rounds: Number(opts.rounds) };
  if (smoke) return { warmup: 0, rounds: 1 };
  return n <= 100 ? { warmup: 1, rounds: 7 } : n <= 1000 ? { warmup: 1, rounds: 5 } : { warmup: 0, rounds: 3 };
}
const CONTENTION = { runners: 8, n: smoke ? 5 : 200, rounds: smoke ? 1 : 5 };
/** The engines workload: N migrations; the no-op is quick and noisy, so it gets more rounds than the apply. */
const ENGINES_N = smoke ? 5 : 100;
function engineRounds() {
  if (opts.rounds) return { noop: { warmup: 0, rounds: Number(opts.rounds) }, apply: { warmup: 0, rounds: Number(opts.rounds) } };
  if (smoke) return { noop: { warmup: 0, rounds: 1 }, apply: { warmup: 0, rounds: 1 } };
  return { noop: { warmup: 1, rounds: 15 }, apply: { warmup: 1, rounds: 5 } };
}

if (opts['render-only']) {
  // Write the report again from the last results (after a change to the report itself).
  const saved = JSON.parse(readFileSync(path.join(outDir, 'latest.json'), 'utf8'));
  writeReports(saved);
  process.exit(0);
}

const tmp = path.join(root, '.tmp', 'bench');
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
mkdirSync(outDir, { recursive: true });
const logFile = path.join(tmp, 'runs.log');
const failures = [];
let runCounter = 0;

const say = (line) => console.log(line);
const allTools = tools(root);
const floor = floors(root);

ensureDbmate(root);
say(`Starting a throwaway PostgreSQL 15 (fsync off) ...`);
const server = await startLocalPostgres({ major: 15 });
const admin = new pg.Client({ connectionString: server.url });
await admin.connect();

const results = {
  machine: await machine(),
  sizes,
  gnuTime: HAS_GNU_TIME,
  labels: { ...Object.fromEntries([...allTools, ...Object.values(floor)].map((t) => [t.id, t.label])), ...engineLabels() },
  nodePeers: allTools.filter((t) => t.node).map((t) => t.id),
  startup: undefined,
  scale: {},
  contention: undefined,
  backup: undefined,
  engines: undefined,
  failures,
};

try {
  if (workloads.has('startup')) results.startup = await startupWorkload();
  if (workloads.has('scale')) for (const n of sizes) results.scale[n] = await scaleWorkload(n);
  if (workloads.has('contention')) results.contention = await contentionWorkload();
  if (workloads.has('backup')) results.backup = await backupWorkload();
  if (workloads.has('engines')) results.engines = await enginesWorkload();
  if (workloads.has('review')) {
    results.review = await reviewWorkload({
      root,
      tmp,
      logFile,
      say,
      fail,
      rotate,
      timed,
      freshDatabase,
      dropDatabase,
      rounds: opts.rounds ? { warmup: 0, rounds: Number(opts.rounds) } : smoke ? { warmup: 0, rounds: 1 } : { warmup: 1, rounds: 11 },
    });
  }
} finally {
  await admin.end();
  await server.stop();
}

writeFileSync(path.join(outDir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
writeReports(results);
say(`\n${renderMarkdown(results)}`);
say(`Results in ${path.relative(process.cwd(), outDir) || outDir}/latest.{md,svg,json}`);
const oursFailed = failures.filter((f) => f.tool.startsWith('ours'));
if (smoke && failures.length > 0) {
  console.error(`${failures.length} run(s) failed:\n${failures.map((f) => `  ${f.tool} ${f.workload}: ${f.message}`).join('\n')}`);
  process.exit(1);
}
if (oursFailed.length > 0) process.exit(1);

// ---------------------------------------------------------------------------------------------------

/** latest.md and latest.svg beside latest.json; the README's section too for a full run. */
function writeReports(results) {
  writeFileSync(path.join(outDir, 'latest.md'), renderMarkdown(results));
  writeFileSync(path.join(outDir, 'latest.svg'), renderSvg(results));
  if (!smoke && !opts.out) {
    const readme = path.join(root, 'README.md');
    writeFileSync(readme, replaceReadmeSection(readFileSync(readme, 'utf8'), renderReadmeSection(results)));
  }
}

async function machine() {
  const { rows } = await admin.query("SELECT current_setting('server_version') AS v, current_setting('fsync') AS fsync");
  const cpus = os.cpus();
  return {
    date: new Date().toISOString().slice(0, 10),
    cpu: `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres: rows[0].v,
    fsync: rows[0].fsync,
    psql: versionOf('psql', ['--version']),
    pgDump: versionOf('pg_dump', ['--version']),
    versions: {
      ...packageVersions(['node-pg-migrate', 'postgrator-cli', 'postgrator', 'postgres-migrations', 'pg']),
      dbmate: DBMATE_VERSION,
      ...(workloads.has('engines') ? engineVersions() : {}),
    },
  };
}

function versionOf(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
  } catch {
    return 'not found';
  }
}

function packageVersions(names) {
  const out = {};
  for (const name of names) {
    try {
      out[name] = JSON.parse(readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
    } catch {
      out[name] = 'not installed';
    }
  }
  out['migrate-action'] = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version;
  return out;
}

async function freshDatabase() {
  runCounter += 1;
  const name = `bench_${runCounter}`;
  return { name, url: await createDatabase(server.url, name) };
}

async function dropDatabase(name) {
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

/** Count the workload's tables m1..mN in `url`: proof that a run did the work it was timed for. */
async function countTables(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND tablename ~ '^m[0-9]+$'");
    return rows[0].n;
  } finally {
    await client.end();
  }
}

function fail(tool, workload, message) {
  failures.push({ tool, workload, message });
  say(`  ! ${tool} ${workload}: ${message}`);
}

/** The tools in a different order each round. */
function rotate(list, round) {
  const k = round % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

function series() {
  return { ms: [], rssKiB: [] };
}

function record(entry, round, m) {
  entry.ms[round] = m.ms;
  entry.rssKiB[round] = m.rssKiB;
}

/** Whole-process start-up: Node alone, and the bundle loaded and run as far as printing its version. */
async function startupWorkload() {
  const rounds = smoke ? 1 : 20;
  say(`\nStart-up: ${rounds} rounds`);
  const out = { rounds, node: series(), bundle: series(), bundleBytes: readFileSync(path.join(root, 'dist', 'index.js')).length };
  const cli = { cmd: process.execPath, args: [path.join(root, 'bin', 'migrate-action.js'), '--version'] };
  for (let round = 0; round < rounds + 1; round += 1) {
    const pair = round % 2 === 0 ? ['node', 'bundle'] : ['bundle', 'node'];
    for (const which of pair) {
      const m = await timed(which === 'node' ? floor.node.command() : cli, logFile);
      if (m.code !== 0) fail(which, 'startup', `exit ${m.code}`);
      if (round > 0) record(out[which], round - 1, m);
    }
  }
  return out;
}

/** Workloads 1, 2 and 5: apply N migrations to an empty database, then the no-op run on the result. */
async function scaleWorkload(n) {
  const { warmup, rounds } = roundsFor(n);
  say(`\nN = ${n}: ${warmup} warm-up + ${rounds} rounds`);
  const dirs = {};
  for (const format of new Set(allTools.map((t) => t.format))) {
    dirs[format] = path.join(tmp, `n${n}`, format);
    writeMigrations(dirs[format], format, n);
  }
  const psqlScript = path.join(tmp, `n${n}`, 'psql.sql');
  writePsqlScript(psqlScript, dirs.plain, n);

  const out = { n, warmup, rounds, apply: {}, noop: {} };
  for (const t of allTools) {
    if (!t.noopOnly) out.apply[t.id] = series();
    out.noop[t.id] = series();
  }
  out.apply.psql = series();
  out.noop.node = series();
  out.noop['node-pg'] = series();
  const broken = new Set();

  const participants = [...allTools.filter((t) => !t.noopOnly), floor.psql];
  for (let r = 0; r < warmup + rounds; r += 1) {
    const round = r - warmup;
    const measured = round >= 0;
    for (const t of rotate(participants, r)) {
      if (broken.has(t.id)) continue;
      const db = await freshDatabase();
      const ctx = { url: db.url, dirs, psqlScript, tmp, run: runCounter };
      try {
        const apply = await timed(t.command(ctx), logFile);
        const tables = apply.code === 0 ? await countTables(db.url) : -1;
        if (apply.code !== 0 || tables !== n) {
          fail(t.id, `apply N=${n}`, apply.code !== 0 ? `exit ${apply.code}: ${tail(logFile, 2).replace(/\s+/g, ' ').slice(0, 300)}` : `${tables} of ${n} tables`);
          broken.add(t.id);
          continue;
        }
        if (measured) record(out.apply[t.id], round, apply);
        if (t.id === 'psql') continue;
        // The no-op run, and for migrate-action its floors and its Action entry, on the same database.
        const group = t.id === 'ours' ? [t, allTools.find((x) => x.id === 'ours-action'), floor.nodePg, floor.node] : [t];
        for (const member of rotate(group, r)) {
          const m = await timed(member.command(ctx), logFile);
          if (m.code !== 0) {
            fail(member.id, `no-op N=${n}`, `exit ${m.code}: ${tail(logFile, 2).replace(/\s+/g, ' ').slice(0, 300)}`);
            continue;
          }
          if (measured) record(out.noop[member.id], round, m);
        }
        say(`  ${measured ? `round ${round + 1}` : 'warm-up'} ${t.id}: apply ${(apply.ms / 1000).toFixed(2)} s`);
      } finally {
        await dropDatabase(db.name);
      }
    }
  }
  rmSync(path.join(tmp, `n${n}`), { recursive: true, force: true });
  return out;
}

/** Workload 3: 8 runners started together on 200 pending migrations, against one runner alone. */
async function contentionWorkload() {
  const { runners, n, rounds } = CONTENTION;
  say(`\nContention: ${runners} runners on ${n} pending migrations, ${rounds} rounds`);
  const dirs = {};
  for (const format of new Set(allTools.map((t) => t.format))) {
    dirs[format] = path.join(tmp, 'contention', format);
    writeMigrations(dirs[format], format, n);
  }
  const out = { runners, n, rounds, single: {}, together: {}, failedRunners: {} };
  const participants = allTools.filter((t) => !t.noopOnly);
  for (const t of participants) {
    out.single[t.id] = [];
    out.together[t.id] = [];
    out.failedRunners[t.id] = 0;
  }
  for (let round = 0; round < rounds + 1; round += 1) {
    const measured = round > 0;
    for (const t of rotate(participants, round)) {
      for (const mode of round % 2 === 0 ? ['single', 'together'] : ['together', 'single']) {
        const db = await freshDatabase();
        const ctx = { url: db.url, dirs, tmp, run: runCounter };
        try {
          const command = t.command(ctx, mode === 'together' ? (t.contentionArgs ?? []) : []);
          const m = await timedTogether(Array.from({ length: mode === 'single' ? 1 : runners }, () => command), logFile);
          const failed = m.codes.filter((c) => c !== 0).length;
          const tables = await countTables(db.url);
          if (tables !== n || (mode === 'single' && failed > 0)) {
            fail(t.id, `contention ${mode}`, `${failed} runner(s) failed, ${tables} of ${n} tables`);
          }
          if (measured) {
            out[mode][t.id][round - 1] = m.ms;
            if (mode === 'together') out.failedRunners[t.id] += failed;
          }
        } finally {
          await dropDatabase(db.name);
        }
      }
      if (measured) say(`  round ${round} ${t.id}: single ${(out.single[t.id][round - 1] / 1000).toFixed(2)} s, ${runners} together ${(out.together[t.id][round - 1] / 1000).toFixed(2)} s`);
    }
  }
  return out;
}

/** Workload 4: backup: true with one pending migration, against plain pg_dump -Fc and the same migration. */
async function backupWorkload() {
  const rounds = smoke ? 1 : 5;
  say(`\nBackup: a database of ~${backupMb} MB, ${rounds} rounds`);
  const db = await freshDatabase();
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const dir = path.join(tmp, 'backup', 'migrations');
  const dumps = path.join(tmp, 'backup', 'dumps');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, '1_add-table.sql'), 'CREATE TABLE bench_extra (id int PRIMARY KEY, v text);\n');
  try {
    // ~110 bytes per row on disk: two md5 strings, an id and a timestamp.
    const rowsNeeded = Math.max(1000, Math.round((backupMb * 2 ** 20) / 118));
    await client.query(
      `CREATE TABLE big AS SELECT g AS id, md5(g::text) || md5((g + 1)::text) AS a, now() AS t FROM generate_series(1, ${rowsNeeded}) g`,
    );
    await client.query('ALTER TABLE big ADD PRIMARY KEY (id)');
    await client.query('VACUUM ANALYZE big');
    const { rows } = await client.query('SELECT pg_database_size(current_database())::bigint AS bytes');
    const sizeBytes = Number(rows[0].bytes);
    say(`  database size ${(sizeBytes / 2 ** 20).toFixed(0)} MiB`);
    const reset = () => client.query('DROP TABLE IF EXISTS bench_extra; DROP TABLE IF EXISTS migrations');
    const ours = allTools.find((t) => t.id === 'ours');
    const out = { sizeBytes, rounds, ours: [], plain: [], pgDumpOnly: [] };
    for (let round = 0; round < rounds + 1; round += 1) {
      const measured = round > 0;
      for (const mode of round % 2 === 0 ? ['ours', 'plain'] : ['plain', 'ours']) {
        await reset();
        rmSync(dumps, { recursive: true, force: true });
        mkdirSync(dumps, { recursive: true });
        const base = ours.command({ url: db.url, dirs: { plain: dir } });
        let ms;
        if (mode === 'ours') {
          const m = await timed({ ...base, args: [...base.args, '--backup', 'true', '--backup-dir', dumps] }, logFile);
          if (m.code !== 0 || readdirSync(dumps).length !== 1) fail('ours', 'backup', `exit ${m.code}: ${tail(logFile, 2)}`);
          ms = m.ms;
        } else {
          const dump = await timed({ cmd: 'pg_dump', args: ['-Fc', '-f', path.join(dumps, 'plain.dump'), '-d', db.url] }, logFile);
          const migrate = await timed(base, logFile);
          if (dump.code !== 0 || migrate.code !== 0) fail('pg_dump + migration', 'backup', `exit ${dump.code}/${migrate.code}: ${tail(logFile, 2)}`);
          ms = dump.ms + migrate.ms;
          if (measured) out.pgDumpOnly[round - 1] = dump.ms;
        }
        if (measured) out[mode][round - 1] = ms;
      }
      if (measured) say(`  round ${round}: backup ${(out.ours[round - 1] / 1000).toFixed(2)} s, pg_dump + migration ${(out.plain[round - 1] / 1000).toFixed(2)} s`);
    }
    return out;
  } finally {
    await client.end();
    await dropDatabase(db.name);
    rmSync(path.join(tmp, 'backup'), { recursive: true, force: true });
  }
}

/**
 * Workload 6: migrate-action driving the job's own Alembic, node-pg-migrate and dbmate (node dist/index.js
 * with INPUT_ENGINE, as the runner runs it) against each tool run alone on the same N migrations: a no-op
 * on a database at head, and an apply to a fresh database. Our built-in engine's no-op on the same N is
 * timed in the same no-op rounds: what migrate-action costs by itself, against which the time it adds to
 * dbmate is judged.
 */
async function enginesWorkload() {
  const n = ENGINES_N;
  const plan = engineRounds();
  say(`\nEngines: N = ${n}; no-op ${plan.noop.warmup} warm-up + ${plan.noop.rounds} rounds, apply ${plan.apply.warmup} warm-up + ${plan.apply.rounds} rounds`);
  const base = path.join(tmp, 'engines');
  const projects = {};
  for (const engine of ['postgres-migrations', ...ENGINES]) projects[engine] = writeEngineProject(path.join(base, engine), engine, n, root);
  const out = { n, engines: ENGINES, noop: { ...plan.noop, runs: {} }, apply: { ...plan.apply, runs: {} } };
  const broken = new Set();
  const why = (m) => `exit ${m.code}: ${tail(logFile, 2).replace(/\s+/g, ' ').slice(0, 300)}`;
  /** Run one participant on `url`; proof of the work is exit 0 and the N tables. Returns the measurement or undefined. */
  async function runChecked(p, url, workload) {
    const m = await timed(p.command(url), logFile);
    const tables = m.code === 0 ? await countTables(url) : -1;
    if (m.code !== 0 || tables !== n) {
      fail(p.id, workload, m.code !== 0 ? why(m) : `${tables} of ${n} tables`);
      broken.add(p.id);
      return undefined;
    }
    return m;
  }
  const fmt = (entry, round) => (Number.isFinite(entry?.ms[round]) ? entry.ms[round].toFixed(0) : '–');

  // No-op: one database per engine, brought to head by migrate-action itself (its apply is the set-up, not
  // timed); then every round times ours and the tool alone on it, in rotating order.
  const noopDbs = {};
  const participants = [];
  try {
    for (const engine of ['postgres-migrations', ...ENGINES]) {
      const project = projects[engine];
      const db = await freshDatabase();
      noopDbs[engine] = db;
      const ours = { id: oursId(engine), command: (url) => oursCommand(root, project, url, tmp, ++runCounter) };
      if (!(await runChecked(ours, db.url, `engines set-up N=${n}`))) continue;
      participants.push(ours);
      if (project.alone) participants.push({ id: aloneId(engine), command: (url) => project.alone(url, `noop-${engine}`) });
    }
    for (const p of participants) out.noop.runs[p.id] = series();
    for (let r = 0; r < plan.noop.warmup + plan.noop.rounds; r += 1) {
      const round = r - plan.noop.warmup;
      for (const p of rotate(participants, r)) {
        if (broken.has(p.id)) continue;
        const engine = p.id === 'ours-native' ? 'postgres-migrations' : p.id.replace(/^ours-/, '').replace(/-alone$/, '');
        const m = await runChecked(p, noopDbs[engine].url, `engines no-op N=${n}`);
        if (m && round >= 0) record(out.noop.runs[p.id], round, m);
      }
      if (round < 0) say('  no-op warm-up');
      else {
        const runs = out.noop.runs;
        say(`  no-op round ${round + 1} (ms, ours/alone): ${ENGINES.map((e) => `${e} ${fmt(runs[oursId(e)], round)}/${fmt(runs[aloneId(e)], round)}`).join(', ')}; built-in ${fmt(runs['ours-native'], round)}`);
      }
    }
  } finally {
    for (const db of Object.values(noopDbs)) await dropDatabase(db.name);
  }

  // Apply: every run on a database of its own, created before and dropped after the timed run.
  const applying = [];
  for (const engine of ENGINES) {
    const project = projects[engine];
    applying.push(
      { id: oursId(engine), command: (url) => oursCommand(root, project, url, tmp, ++runCounter) },
      { id: aloneId(engine), command: (url) => project.alone(url, `apply-${runCounter}`) },
    );
  }
  for (const p of applying) out.apply.runs[p.id] = series();
  for (let r = 0; r < plan.apply.warmup + plan.apply.rounds; r += 1) {
    const round = r - plan.apply.warmup;
    for (const p of rotate(applying, r)) {
      if (broken.has(p.id)) continue;
      const db = await freshDatabase();
      try {
        const m = await runChecked(p, db.url, `engines apply N=${n}`);
        if (m && round >= 0) record(out.apply.runs[p.id], round, m);
      } finally {
        await dropDatabase(db.name);
      }
    }
    const runs = out.apply.runs;
    if (round < 0) say('  apply warm-up');
    else say(`  apply round ${round + 1} (ms, ours/alone): ${ENGINES.map((e) => `${e} ${fmt(runs[oursId(e)], round)}/${fmt(runs[aloneId(e)], round)}`).join(', ')}`);
  }
  rmSync(base, { recursive: true, force: true });
  return out;
}
