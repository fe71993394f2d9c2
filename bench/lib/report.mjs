// The benchmark's results as markdown tables, an SVG chart and the README's section. Pure: strings in,
// strings out (the tests render fixed results).
import { reviewTable } from './review.mjs';
import { growthPerItem, pairedDifference, pairedRatio, summarize } from './stats.mjs';

export const README_START = '<!-- bench:start -->';
export const README_END = '<!-- bench:end -->';

/** The targets the benchmark checks, in the order the report lists them. */
export const TARGETS = {
  noop1000: 1.15,
  noop10000: 1.5,
  applyVsPsql: 1.2,
  contention: 1.3,
  backup: 1.05,
  linear: 1.25,
  // migrate-action driving an engine ÷ the engine alone (dbmate's target is the time added instead: at most
  // migrate-action's own no-op, measured in the same rounds).
  engineAlembic: 1.3,
  engineNodePgMigrate: 1.1,
};

const ENGINE_NAMES = { alembic: 'Alembic', 'node-pg-migrate': 'node-pg-migrate', dbmate: 'dbmate' };
const ENGINE_RATIO_TARGETS = { alembic: TARGETS.engineAlembic, 'node-pg-migrate': TARGETS.engineNodePgMigrate };
const CASES = { noop: 'no-op', apply: 'apply' };

const fmtS = (ms) => (ms === undefined ? '–' : ms >= 10_000 ? (ms / 1000).toFixed(1) : ms >= 1000 ? (ms / 1000).toFixed(2) : (ms / 1000).toFixed(3));
const fmtX = (x) => (x === undefined ? '–' : `${x.toFixed(2)}×`);
const fmtN = (n) => n.toLocaleString('en-US');
const fmtMiB = (kib) => (kib === undefined ? '–' : (kib / 1024).toFixed(0));
const values = (list) => (list ?? []).filter((v) => Number.isFinite(v));

function label(results, id) {
  return results.labels?.[id] ?? id;
}

function peakRss(entry) {
  const v = values(entry?.rssKiB);
  return v.length === 0 ? undefined : Math.max(...v);
}

function failureOf(results, id, workload) {
  return results.failures?.find((f) => f.tool === id && f.workload === workload)?.message;
}

/** Every check against a target: { name, value, limit, met, note }. */
export function checkTargets(results) {
  const checks = [];
  const scale = results.scale ?? {};
  const nodePeers = results.nodePeers ?? [];
  for (const [n, limit] of [[1000, TARGETS.noop1000], [10000, TARGETS.noop10000]]) {
    const s = scale[n];
    if (!s) continue;
    const x = pairedRatio(s.noop.ours?.ms ?? [], s.noop['node-pg']?.ms ?? []);
    checks.push({ name: `No-op at N=${fmtN(n)}: ÷ Node+pg floor`, value: x, limit, met: x !== undefined && x <= limit });
  }
  for (const n of [1000, 10000]) {
    const s = scale[n];
    if (!s) continue;
    const x = pairedRatio(s.apply.ours?.ms ?? [], s.apply.psql?.ms ?? []);
    checks.push({ name: `Apply at N=${fmtN(n)}: ÷ psql floor`, value: x, limit: TARGETS.applyVsPsql, met: x !== undefined && x <= TARGETS.applyVsPsql });
  }
  if (results.contention) {
    const c = results.contention;
    const x = pairedRatio(c.together.ours ?? [], c.single.ours ?? []);
    checks.push({ name: `Contention: ${c.runners} runners ÷ 1 runner`, value: x, limit: TARGETS.contention, met: x !== undefined && x <= TARGETS.contention });
  }
  if (results.backup) {
    const x = pairedRatio(results.backup.ours, results.backup.plain);
    checks.push({ name: 'Backup: ÷ pg_dump -Fc + migration', value: x, limit: TARGETS.backup, met: x !== undefined && x <= TARGETS.backup });
  }
  // Faster than every Node peer: the slowest of ours ÷ peer over workloads 1–3 and every N must stay below 1.
  let worst;
  const consider = (x, where) => {
    if (x !== undefined && (worst === undefined || x > worst.value)) worst = { value: x, where };
  };
  for (const s of Object.values(scale)) {
    for (const peer of nodePeers) {
      consider(pairedRatio(s.noop.ours?.ms ?? [], s.noop[peer]?.ms ?? []), `no-op N=${fmtN(s.n)} vs ${label(results, peer)}`);
      consider(pairedRatio(s.apply.ours?.ms ?? [], s.apply[peer]?.ms ?? []), `apply N=${fmtN(s.n)} vs ${label(results, peer)}`);
    }
  }
  if (results.contention) {
    for (const peer of nodePeers) {
      consider(pairedRatio(results.contention.together.ours ?? [], results.contention.together[peer] ?? []), `contention vs ${label(results, peer)}`);
    }
  }
  if (worst) checks.push({ name: 'Faster than every Node peer (worst case: ours ÷ peer)', value: worst.value, limit: 1, met: worst.value < 1, note: worst.where });
  const largest = scale[10000];
  if (largest) {
    const ours = Math.max(peakRss(largest.noop.ours) ?? 0, peakRss(largest.apply.ours) ?? 0);
    const theirs = Math.max(peakRss(largest.noop['postgres-migrations']) ?? 0, peakRss(largest.apply['postgres-migrations']) ?? 0);
    if (ours > 0 && theirs > 0) {
      checks.push({ name: 'Peak RSS at N=10,000: ours ÷ postgres-migrations', value: ours / theirs, limit: 1, met: ours < theirs, note: `${fmtMiB(ours)} MiB vs ${fmtMiB(theirs)} MiB` });
    }
  }
  for (const workload of ['apply', 'noop']) {
    const points = Object.values(scale)
      .filter((s) => s[workload].ours)
      .map((s) => ({ n: s.n, ms: summarize(values(s[workload].ours.ms))?.median }));
    const g = growthPerItem(points);
    if (g !== undefined && points.length >= 2) {
      const ns = points.map((p) => p.n).sort((a, b) => a - b).slice(-2);
      const name = `Linear: ${workload === 'noop' ? 'no-op' : 'apply'} time per migration, N=${fmtN(ns[1])} ÷ N=${fmtN(ns[0])}`;
      checks.push({ name, value: g, limit: TARGETS.linear, met: g <= TARGETS.linear });
    }
  }
  checks.push(...engineChecks(results));
  return checks;
}

/**
 * The engines workload, one row per engine and case: medians of ours and of the tool alone, the paired
 * ratio and difference, and the row's target ({ kind: 'ratio' | 'added', limit, value, met }).
 */
export function engineRows(results) {
  const e = results.engines;
  if (!e) return [];
  const native = summarize(values(e.noop.runs['ours-native']?.ms))?.median;
  const rows = [];
  for (const engine of e.engines) {
    for (const kase of ['noop', 'apply']) {
      const runs = e[kase].runs;
      const ours = runs[`ours-${engine}`]?.ms ?? [];
      const alone = runs[`${engine}-alone`]?.ms ?? [];
      const ratio = pairedRatio(ours, alone);
      const added = pairedDifference(ours, alone);
      const row = {
        engine,
        case: kase,
        n: e.n,
        rounds: e[kase].rounds,
        ours: summarize(values(ours))?.median,
        alone: summarize(values(alone))?.median,
        ratio,
        added,
        native,
      };
      if (engine in ENGINE_RATIO_TARGETS) {
        const limit = ENGINE_RATIO_TARGETS[engine];
        row.target = { kind: 'ratio', limit, value: ratio, met: ratio !== undefined && ratio <= limit };
      } else {
        const value = added !== undefined && native ? added / native : undefined;
        row.target = { kind: 'added', limit: 1, value, met: added !== undefined && native !== undefined && added <= native };
      }
      rows.push(row);
    }
  }
  return rows;
}

function engineName(results, engine) {
  const v = results.machine?.versions?.[engine];
  return `${ENGINE_NAMES[engine] ?? engine}${v && v !== 'not found' && v !== 'not installed' ? ` ${v}` : ''}`;
}

const fmtMs = (ms) => (ms === undefined ? '–' : ms.toFixed(0));
const fmtAdded = (ms) => (ms === undefined ? '–' : `${ms >= 0 ? '+' : '−'}${Math.abs(ms).toFixed(0)}`);

function engineChecks(results) {
  return engineRows(results).map((row) => {
    const where = `${ENGINE_NAMES[row.engine] ?? row.engine}, ${CASES[row.case]} N=${fmtN(row.n)}`;
    if (row.target.kind === 'ratio') {
      return { name: `Engine ${where}: migrate-action ÷ the tool alone`, value: row.target.value, limit: row.target.limit, met: row.target.met };
    }
    return {
      name: `Engine ${where}: time migrate-action adds ÷ its own no-op`,
      value: row.target.value,
      limit: 1,
      limitText: '≤ 1',
      met: row.target.met,
      note: `${fmtAdded(row.added)} ms vs ${fmtMs(row.native)} ms`,
    };
  });
}

function enginesTable(results) {
  const e = results.engines;
  const rows = engineRows(results);
  const lines = [
    `| Engine, N=${fmtN(e.n)} migrations | case | migrate-action ms | tool alone ms | ours ÷ alone | ours − alone ms | target | met |`,
    '|---|---|---:|---:|---:|---:|---|:---:|',
  ];
  for (const row of rows) {
    const failed = (id) => failureOf(results, id, `engines ${CASES[row.case]} N=${e.n}`) ?? failureOf(results, id, `engines set-up N=${e.n}`);
    const cell = (ms, id) => (ms === undefined && failed(id) ? 'failed' : fmtMs(ms));
    const target = row.target.kind === 'ratio' ? `ours ÷ alone ≤ ${row.target.limit}` : `added ≤ our no-op (${fmtMs(row.native)} ms)`;
    lines.push(
      `| ${engineName(results, row.engine)} | ${CASES[row.case]} | ${cell(row.ours, `ours-${row.engine}`)} | ${cell(row.alone, `${row.engine}-alone`)} | ` +
        `${fmtX(row.ratio)} | ${fmtAdded(row.added)} | ${target} | ${row.target.value === undefined ? '–' : row.target.met ? 'yes' : '**no**'} |`,
    );
  }
  const native = summarize(values(e.noop.runs['ours-native']?.ms));
  lines.push(`| **migrate-action, built-in engine** | no-op | ${native ? fmtMs(native.median) : 'failed'} | | | | | |`);
  lines.push(
    '',
    `Medians: no-op ${e.noop.rounds} round${e.noop.rounds === 1 ? '' : 's'} on a database at head, apply ${e.apply.rounds} round${e.apply.rounds === 1 ? '' : 's'}, each run on a fresh database; ` +
      'ratios and differences are medians of per-round values. migrate-action runs as the runner runs it (node dist/index.js, ' +
      "INPUT_ENGINE) and drives the same program that runs alone: Debian's python3 -m alembic upgrade head, " +
      'node_modules/.bin/node-pg-migrate up, node_modules/.bin/dbmate migrate (the npm package: a Node wrapper of the Go binary).',
  );
  return lines;
}

function enginesDetail(results) {
  const e = results.engines;
  const lines = ['| Run | case | median ms | min–max ms | peak RSS MiB |', '|---|---|---:|---:|---:|'];
  for (const kase of ['noop', 'apply']) {
    for (const [id, entry] of Object.entries(e[kase].runs)) {
      const sum = summarize(values(entry.ms));
      lines.push(`| ${label(results, id)} | ${CASES[kase]} | ${sum ? fmtMs(sum.median) : 'failed'} | ${sum ? `${fmtMs(sum.min)}–${fmtMs(sum.max)}` : ''} | ${fmtMiB(peakRss(entry))} |`);
    }
  }
  return lines;
}

function machineLine(results) {
  const m = results.machine ?? {};
  return `${m.date ?? ''}: ${m.cpu ?? ''}, ${m.memoryGiB ?? '?'} GiB, ${m.os ?? ''}; Node ${m.node ?? ''}; PostgreSQL ${m.postgres ?? ''} (fsync ${m.fsync ?? '?'}) on loopback.`;
}

function summaryTable(results, workload, floorId) {
  const scale = results.scale ?? {};
  const ns = Object.keys(scale).map(Number).sort((a, b) => a - b);
  if (ns.length === 0) return [];
  const ids = [...new Set(ns.flatMap((n) => Object.keys(scale[n][workload])))];
  const floorLabel = label(results, floorId);
  const lines = [
    `| ${workload === 'noop' ? 'No-op' : 'Apply N'} | ${ns.map((n) => `N=${fmtN(n)}`).join(' | ')} |`,
    `|---|${ns.map(() => '---:').join('|')}|`,
  ];
  for (const id of ids) {
    const cells = ns.map((n) => {
      const entry = scale[n][workload][id];
      const s = summarize(values(entry?.ms));
      if (!s) return failureOf(results, id, `${workload === 'noop' ? 'no-op' : 'apply'} N=${n}`) ? 'failed' : '–';
      const x = id === floorId ? undefined : pairedRatio(entry.ms, scale[n][workload][floorId]?.ms ?? []);
      return `${fmtS(s.median)} s${x === undefined ? '' : ` (${fmtX(x)})`}`;
    });
    const name = id === 'ours' || id === 'ours-action' ? `**${label(results, id)}**` : label(results, id);
    lines.push(`| ${name} | ${cells.join(' | ')} |`);
  }
  lines.push('', `Median of the rounds; in brackets, the median of per-round ratios to *${floorLabel}*.`);
  return lines;
}

function detailTable(results, s, workload, floorIds) {
  const floorsHere = floorIds.filter((id) => s[workload][id]);
  const lines = [
    `| ${workload === 'noop' ? 'No-op' : 'Apply'}, N=${fmtN(s.n)} | median s | min–max s | ${floorsHere.map((id) => `÷ ${label(results, id)}`).join(' | ')} | migrate-action ÷ this | peak RSS MiB |`,
    `|---|---:|---:|${floorsHere.map(() => '---:|').join('')}---:|---:|`,
  ];
  for (const [id, entry] of Object.entries(s[workload])) {
    const sum = summarize(values(entry.ms));
    if (!sum) {
      const why = failureOf(results, id, `${workload === 'noop' ? 'no-op' : 'apply'} N=${s.n}`);
      lines.push(`| ${label(results, id)} | failed | |${floorsHere.map(() => ' |').join('')} | ${why ? why.slice(0, 120).replace(/\|/g, '/') : ''} |`);
      continue;
    }
    const vsFloors = floorsHere.map((floorId) => fmtX(id === floorId ? undefined : pairedRatio(entry.ms, s[workload][floorId].ms)));
    const oursOverThis = id === 'ours' ? undefined : pairedRatio(s[workload].ours?.ms ?? [], entry.ms);
    lines.push(
      `| ${label(results, id)} | ${fmtS(sum.median)} | ${fmtS(sum.min)}–${fmtS(sum.max)} | ${vsFloors.join(' | ')} | ${fmtX(oursOverThis)} | ${fmtMiB(peakRss(entry))} |`,
    );
  }
  return lines;
}

function contentionTable(results) {
  const c = results.contention;
  const lines = [
    `| Contention, ${c.n} pending | 1 runner | ${c.runners} runners together | ${c.runners} ÷ 1 | migrate-action ÷ this (${c.runners} runners) | failed runners |`,
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const id of Object.keys(c.single)) {
    const one = summarize(values(c.single[id]));
    const all = summarize(values(c.together[id]));
    lines.push(
      `| ${label(results, id)} | ${one ? fmtS(one.median) : '–'} s | ${all ? fmtS(all.median) : '–'} s | ${fmtX(pairedRatio(c.together[id], c.single[id]))} | ` +
        `${id === 'ours' ? '' : fmtX(pairedRatio(c.together.ours ?? [], c.together[id]))} | ${c.failedRunners[id]} of ${c.runners * c.rounds} |`,
    );
  }
  return lines;
}

function backupTable(results) {
  const b = results.backup;
  const ours = summarize(values(b.ours));
  const plain = summarize(values(b.plain));
  const dump = summarize(values(b.pgDumpOnly));
  return [
    `| Backup, database of ${(b.sizeBytes / 2 ** 20).toFixed(0)} MiB, 1 pending | median s | min–max s | ÷ pg_dump + migration |`,
    '|---|---:|---:|---:|',
    `| **migrate-action --backup true** | ${ours ? fmtS(ours.median) : '–'} | ${ours ? `${fmtS(ours.min)}–${fmtS(ours.max)}` : ''} | ${fmtX(pairedRatio(b.ours, b.plain))} |`,
    `| pg_dump -Fc, then migrate-action | ${plain ? fmtS(plain.median) : '–'} | ${plain ? `${fmtS(plain.min)}–${fmtS(plain.max)}` : ''} | |`,
    `| of which pg_dump -Fc | ${dump ? fmtS(dump.median) : '–'} | ${dump ? `${fmtS(dump.min)}–${fmtS(dump.max)}` : ''} | |`,
  ];
}

function startupTable(results) {
  const st = results.startup;
  const node = summarize(values(st.node.ms));
  const bundle = summarize(values(st.bundle.ms));
  return [
    `| Start-up (${st.rounds} rounds) | median ms | min–max ms | peak RSS MiB |`,
    '|---|---:|---:|---:|',
    `| node -e 0 | ${node?.median.toFixed(1)} | ${node?.min.toFixed(1)}–${node?.max.toFixed(1)} | ${fmtMiB(peakRss(st.node))} |`,
    `| migrate-action --version (loads the ${(st.bundleBytes / 1024).toFixed(0)} KiB bundle) | ${bundle?.median.toFixed(1)} | ${bundle?.min.toFixed(1)}–${bundle?.max.toFixed(1)} | ${fmtMiB(peakRss(st.bundle))} |`,
    '',
    `Loading and parsing the bundle costs ${node && bundle ? (bundle.median - node.median).toFixed(1) : '?'} ms on top of Node's own start-up (difference of medians).`,
  ];
}

function targetsTable(results) {
  const lines = ['| Target | measured | limit | met |', '|---|---:|---:|:---:|'];
  for (const c of checkTargets(results)) {
    lines.push(`| ${c.name}${c.note ? ` (${c.note})` : ''} | ${fmtX(c.value)} | ${c.limitText ?? (c.limit === 1 ? '< 1' : `≤ ${c.limit}`)} | ${c.met ? 'yes' : '**no**'} |`);
  }
  return lines;
}

/** The whole report: summary, targets, then every table in detail. */
export function renderMarkdown(results) {
  const lines = ['# migrate-action benchmark', '', `Machine: ${machineLine(results)}`, ''];
  lines.push(
    'Each figure is a whole process from spawn to exit on a fresh database. The tools take turns within each',
    'round, in an order that rotates; a ratio is the median of the per-round ratios, so that the drift of the',
    'machine between rounds cancels out. Peak RSS is the largest maximum resident set size over the rounds.',
    '',
  );
  const v = results.machine?.versions;
  if (v) lines.push(`Versions: ${Object.entries(v).map(([k, x]) => `${k} ${x}`).join(', ')}; ${results.machine.psql}; ${results.machine.pgDump}.`, '');
  lines.push('## Targets', '', ...targetsTable(results), '');
  if (results.startup) lines.push('## Start-up', '', ...startupTable(results), '');
  if (Object.keys(results.scale ?? {}).length > 0) {
    lines.push('## No-op: N migrations applied, nothing pending', '', ...summaryTable(results, 'noop', 'node-pg'), '');
    lines.push('## Apply N small migrations to an empty database', '', ...summaryTable(results, 'apply', 'psql'), '');
    lines.push('## Detail', '');
    for (const s of Object.values(results.scale)) {
      lines.push(...detailTable(results, s, 'noop', ['node-pg', 'node']), '', ...detailTable(results, s, 'apply', ['psql']), '');
    }
  }
  if (results.contention) lines.push('## Contention', '', ...contentionTable(results), '');
  if (results.backup) lines.push('## Backup overhead', '', ...backupTable(results), '');
  if (results.engines) {
    lines.push('## Engines: migrate-action running Alembic, node-pg-migrate and dbmate, against each alone', '', ...enginesTable(results), '');
    lines.push(...enginesDetail(results), '');
  }
  if (results.review) lines.push('## Review: what lint and the shadow run add to a plan, and that a no-op does not pay', '', ...reviewTable(results.review), '');
  if (results.failures?.length) {
    lines.push('## Failed runs', '', ...results.failures.map((f) => `- ${label(results, f.tool)}, ${f.workload}: ${f.message.replace(/\s+/g, ' ').slice(0, 300)}`), '');
  }
  return `${lines.join('\n')}\n`;
}

/** The README's part: machine, targets and the summary tables. */
export function renderReadmeSection(results) {
  const lines = [README_START, '', `Measured by \`npm run bench\` on ${machineLine(results)}`, ''];
  lines.push(...targetsTable(results), '');
  if (Object.keys(results.scale ?? {}).length > 0) {
    lines.push(...summaryTable(results, 'noop', 'node-pg'), '', ...summaryTable(results, 'apply', 'psql'), '');
  }
  if (results.contention) lines.push(...contentionTable(results), '');
  if (results.backup) lines.push(...backupTable(results), '');
  if (results.engines) lines.push(...enginesTable(results), '');
  if (results.review) lines.push(...reviewTable(results.review), '');
  lines.push('All tables, with min–max and peak memory: [bench/results/latest.md](bench/results/latest.md).', '', README_END);
  return lines.join('\n');
}

/** Replace the text between the README's markers (markers included); the README must have them. */
export function replaceReadmeSection(readme, section) {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${README_START} … ${README_END} section`);
  return readme.slice(0, start) + section + readme.slice(end + README_END.length);
}

const escapeXml = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * A bar chart: one panel per workload and N, one bar per tool (median seconds, bar length relative to the
 * slowest in the panel), migrate-action's bars in a colour of their own.
 */
export function renderSvg(results) {
  const panels = [];
  for (const s of Object.values(results.scale ?? {})) {
    for (const workload of ['noop', 'apply']) {
      const bars = Object.entries(s[workload])
        .map(([id, entry]) => ({ id, ms: summarize(values(entry.ms))?.median }))
        .filter((b) => b.ms !== undefined);
      if (bars.length > 0) panels.push({ title: `${workload === 'noop' ? 'No-op' : 'Apply'}, N=${fmtN(s.n)}`, bars });
    }
  }
  if (results.contention) {
    const c = results.contention;
    const bars = Object.entries(c.together)
      .map(([id, list]) => ({ id, ms: summarize(values(list))?.median }))
      .filter((b) => b.ms !== undefined);
    panels.push({ title: `Contention: ${c.runners} runners, ${c.n} pending`, bars });
  }
  if (results.backup) {
    const b = results.backup;
    panels.push({
      title: `Backup, ${(b.sizeBytes / 2 ** 20).toFixed(0)} MiB database`,
      bars: [
        { id: 'ours', ms: summarize(values(b.ours))?.median, label: 'migrate-action --backup true' },
        { id: 'plain', ms: summarize(values(b.plain))?.median, label: 'pg_dump -Fc + migration' },
      ].filter((x) => x.ms !== undefined),
    });
  }
  if (results.engines) {
    const e = results.engines;
    for (const kase of ['noop', 'apply']) {
      const bars = Object.entries(e[kase].runs)
        .map(([id, entry]) => ({ id, ms: summarize(values(entry.ms))?.median }))
        .filter((b) => b.ms !== undefined);
      if (bars.length > 0) panels.push({ title: `Engines, ${CASES[kase]} N=${fmtN(e.n)}: through migrate-action and alone`, bars });
    }
  }
  const width = 760;
  const labelWidth = 300;
  const barHeight = 16;
  const gap = 4;
  let y = 40;
  const parts = [
    `<text x="10" y="24" font-size="16" font-weight="bold">migrate-action benchmark: median seconds per run (shorter is faster)</text>`,
  ];
  for (const panel of panels) {
    parts.push(`<text x="10" y="${y + 14}" font-size="13" font-weight="bold">${escapeXml(panel.title)}</text>`);
    y += 22;
    const max = Math.max(...panel.bars.map((b) => b.ms));
    for (const bar of panel.bars) {
      const length = Math.max(1, ((width - labelWidth - 90) * bar.ms) / max);
      const ours = bar.id === 'ours' || bar.id.startsWith('ours-');
      const isFloor = ['node', 'node-pg', 'psql', 'plain'].includes(bar.id);
      const fill = ours ? '#2b7bb9' : isFloor ? '#9aa5b1' : '#e59c48';
      parts.push(
        `<text x="${labelWidth - 6}" y="${y + 12}" font-size="11" text-anchor="end">${escapeXml(bar.label ?? label(results, bar.id))}</text>`,
        `<rect x="${labelWidth}" y="${y}" width="${length.toFixed(1)}" height="${barHeight}" fill="${fill}"/>`,
        `<text x="${(labelWidth + length + 4).toFixed(1)}" y="${y + 12}" font-size="11">${fmtS(bar.ms)} s</text>`,
      );
      y += barHeight + gap;
    }
    y += 12;
  }
  parts.push(`<text x="10" y="${y + 4}" font-size="10" fill="#555">${escapeXml(machineLine(results))}</text>`);
  y += 14;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="sans-serif">\n` +
    `<rect width="100%" height="100%" fill="white"/>\n${parts.join('\n')}\n</svg>\n`
  );
}
