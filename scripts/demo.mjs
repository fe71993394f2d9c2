// `npm run demo`: the main job on a throwaway local PostgreSQL. Starts a server on a free port, runs the
// built action (dist/index.js) exactly as the GitHub runner would, on migrations-example/, prints the
// outputs and where the job summary is, then stops the server and deletes its data.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDatabase, startLocalPostgres } from './local-postgres.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const out = path.join(root, '.tmp', 'demo');
mkdirSync(out, { recursive: true });
const outputFile = path.join(out, 'outputs.txt');
const summaryFile = path.join(out, 'summary.md');

/** GITHUB_OUTPUT's `name<<DELIMITER ... DELIMITER` blocks as a map. */
function readOutputs(file) {
  const outputs = {};
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const head = /^([^<]+)<<(.+)$/.exec(lines[i]);
    if (!head) continue;
    const value = [];
    for (i += 1; i < lines.length && lines[i] !== head[2]; i += 1) value.push(lines[i]);
    outputs[head[1]] = value.join('\n');
  }
  return outputs;
}

console.log('Starting a throwaway PostgreSQL ...');
const server = await startLocalPostgres();
let status;
try {
  const url = await createDatabase(server.url, 'demo');
  console.log(`PostgreSQL is up on 127.0.0.1:${server.port}; running dist/index.js on migrations-example/\n`);
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  const run = spawnSync(process.execPath, [path.join(root, 'dist', 'index.js')], {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      'INPUT_DATABASE-URL': url,
      'INPUT_MIGRATIONS-DIR': 'migrations-example',
      GITHUB_WORKSPACE: root,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
    },
  });
  status = run.status ?? 1;
  console.log(`\nExit code: ${status}\nOutputs:`);
  for (const [name, value] of Object.entries(readOutputs(outputFile))) console.log(`  ${name} = ${value}`);
  console.log(`\nJob summary (markdown): ${path.relative(process.cwd(), summaryFile) || summaryFile}`);
} finally {
  await server.stop();
  console.log('Stopped the throwaway PostgreSQL and deleted its data.');
}
process.exit(status);
