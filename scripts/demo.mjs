// `npm run demo`: the main job on a throwaway local PostgreSQL. Starts a server on a free port, runs the
// built action (dist/index.js) exactly as the GitHub runner would, on migrations-example/postgres-migrations/, prints the
// outputs and where the job summary is, then stops the server and deletes its data.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseOutputFile } from './github-output.mjs';
import { createDatabase, LocalPostgresError, startLocalPostgres } from './local-postgres.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const out = path.join(root, '.tmp', 'demo');
mkdirSync(out, { recursive: true });
const outputFile = path.join(out, 'outputs.txt');
const summaryFile = path.join(out, 'summary.md');

console.log('Starting a throwaway PostgreSQL ...');
const server = await startLocalPostgres().catch((error) => {
  // one line that names the directory and the fix, not a stack trace
  if (!(error instanceof LocalPostgresError)) throw error;
  console.error(`demo: ${error.message}`);
  process.exit(1);
});
let status;
try {
  const url = await createDatabase(server.url, 'demo');
  console.log(`PostgreSQL is up on 127.0.0.1:${server.port}; running dist/index.js on migrations-example/postgres-migrations/\n`);
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  const run = spawnSync(process.execPath, [path.join(root, 'dist', 'index.js')], {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      'INPUT_DATABASE-URL': url,
      'INPUT_MIGRATIONS-DIR': 'migrations-example/postgres-migrations',
      GITHUB_WORKSPACE: root,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
    },
  });
  status = run.status ?? 1;
  console.log(`\nExit code: ${status}\nOutputs:`);
  for (const [name, value] of Object.entries(parseOutputFile(readFileSync(outputFile, 'utf8')))) console.log(`  ${name} = ${value}`);
  console.log(`\nJob summary (markdown): ${path.relative(process.cwd(), summaryFile) || summaryFile}`);
} finally {
  await server.stop();
  console.log('Stopped the throwaway PostgreSQL and deleted its data.');
}
process.exit(status);
