import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadMigrationFiles } from 'postgres-migrations';
import { describe, expect, it } from 'vitest';
import { JS_LOAD_TIMEOUT_MS } from '../../src/migrations/js-loader.js';
import { migrationRows, tableNames } from '../support/db.js';
import { recordWritten } from '../support/leaks.js';
import { migrationsDir } from '../support/platform.js';
import { ARTIFACTS, shippedSuite } from '../support/shipped.js';

// `.js` migrations through what users run: the Action's dist/index.js and the packed CLI. The bundler
// once turned their import() into a lookup that failed for every file; these tests would have caught it.

const { database, run } = shippedSuite();

const LAYOUTS: [string, Record<string, string>][] = [
  [
    'CommonJS',
    {
      'package.json': '{ "type": "commonjs" }',
      '1_users.sql': 'CREATE TABLE users (id int PRIMARY KEY, email text);\n',
      '2_seed.js': 'module.exports.generateSql = () => "INSERT INTO users VALUES (1, \'a@example.com\');";\n',
    },
  ],
  [
    'ESM',
    {
      'package.json': '{ "type": "module" }',
      '1_users.sql': 'CREATE TABLE users (id int PRIMARY KEY, email text);\n',
      '2_seed.js': 'export const generateSql = () => "INSERT INTO users VALUES (1, \'a@example.com\');";\n',
    },
  ],
  [
    'CommonJS inside a "type": "module" package',
    {
      'package.json': '{ "type": "module" }',
      '1_users.sql': 'CREATE TABLE users (id int PRIMARY KEY, email text);\n',
      '2_seed.js': 'const os = require("node:os");\nmodule.exports = { generateSql: () => typeof os.EOL === "string" ? "INSERT INTO users VALUES (1, \'a@example.com\');" : "" };\n',
    },
  ],
];

describe.each(ARTIFACTS)('.js migrations through the %s', (artifact) => {
  it.each(LAYOUTS)('applies %s, with the hashes postgres-migrations writes', async (_, files) => {
    const db = await database();
    const dir = migrationsDir(files);
    const result = await run(artifact, db, dir);
    expect(result.code, result.log).toBe(0);
    expect(result.outputs).toMatchObject({ status: 'applied', revision: '2', 'applied-count': '2' });
    expect(await db.query('SELECT id, email FROM users')).toEqual([{ id: 1, email: 'a@example.com' }]);
    // postgres-migrations reads CommonJS with require, which a "type": "module" package forbids; the hash
    // is over the generated SQL, so its loader's result for the plain CommonJS layout stands for all three.
    const reference = migrationsDir({ ...LAYOUTS[0]![1] });
    const expected = (await loadMigrationFiles(reference)).map((m) => ({ id: m.id, name: m.name, hash: m.hash }));
    expect(await migrationRows(db)).toEqual(expected);
  });

  it('keeps the deploy gate shut when a file calls process.exit(0): exit 1, nothing applied, outputs set', async () => {
    const db = await database();
    const dir = migrationsDir({
      '1_users.sql': 'CREATE TABLE users (id int);\n',
      '2_exit.js': 'process.exit(0);\nexports.generateSql = () => "SELECT 1";\n',
    });
    const result = await run(artifact, db, dir);
    expect(result.code).toBe(1);
    expect(result.outputs.status).toBe('failed');
    expect(result.log).toMatch(/Migration file .*2_exit\.js called process\.exit\(0\) while its SQL was being generated; a migration file cannot end the run/);
    expect(await migrationRows(db)).toEqual([]);
    expect(await tableNames(db)).toEqual([]);
  });

  it('keeps the gate shut when generateSql() itself exits the process', async () => {
    const db = await database();
    const dir = migrationsDir({ '1_exit.js': 'export function generateSql() { process.exitCode = 0; process.exit(); }\n' });
    const result = await run(artifact, db, dir);
    expect(result.code).toBe(1);
    expect(result.outputs.status).toBe('failed');
    expect(result.log).toMatch(/1_exit\.js called process\.exit\(\) while its SQL was being generated/);
  });

  it('keeps the gate shut when a file kills its own process', async () => {
    const db = await database();
    const dir = migrationsDir({ '1_kill.js': 'process.kill(process.pid, "SIGKILL");\nexports.generateSql = () => "SELECT 1";\n' });
    const result = await run(artifact, db, dir);
    expect(result.code).toBe(1);
    expect(result.log).toMatch(/1_kill\.js ended the process that loads it \(signal SIGKILL\) before generateSql\(\) returned/);
  });

  it(`gives up on a top-level await that never settles after ${JS_LOAD_TIMEOUT_MS / 1000} s, naming the file`, async () => {
    const db = await database();
    const dir = migrationsDir({
      'package.json': '{ "type": "module" }',
      '1_users.sql': 'CREATE TABLE users (id int);\n',
      '2_hang.js': 'await new Promise(() => {});\nexport const generateSql = () => "SELECT 1";\n',
    });
    const result = await run(artifact, db, dir);
    expect(result.code).toBe(1);
    expect(result.outputs.status).toBe('failed');
    expect(result.log).toMatch(/Migration file .*2_hang\.js did not return its SQL within 10 s \(a top-level await that never settles/);
    expect(await migrationRows(db)).toEqual([]);
  }, 60_000);

  it('runs plan without the secret in the environment a .js file sees; the database stays untouched', async () => {
    const db = await database();
    const dir = migrationsDir({
      '1_spy.js': `const { writeFileSync } = require('node:fs');
const path = require('node:path');
writeFileSync(path.join(__dirname, 'seen.json'), JSON.stringify(process.env));
console.log('::set-output name=revision::999');
console.log('::add-mask::x');
exports.generateSql = () => 'CREATE TABLE spied (id int);';
`,
    });
    const url = new URL(db.url);
    const env = {
      DATABASE_URL: db.url,
      APP_DATABASE_URL: db.url, // what GitLab's database-url-variable names
      PGPASSWORD: decodeURIComponent(url.password),
      PGHOST: url.hostname,
      KEEP_ME: 'yes',
    };
    const result = await run(artifact, db, dir, { command: 'plan' }, env);
    expect(result.code, result.log).toBe(0);
    expect(result.outputs).toMatchObject({ status: 'pending', revision: '0' });
    const seenFile = path.join(dir, 'seen.json');
    expect(existsSync(seenFile)).toBe(true);
    const text = readFileSync(seenFile, 'utf8');
    recordWritten('environment a .js migration saw', text); // the leak check looks for the password in it
    const seen = JSON.parse(text) as Record<string, string>;
    expect(Object.keys(seen).filter((name) => /^(DATABASE_URL|APP_DATABASE_URL|INPUT_.*|PG.*|GITHUB_OUTPUT|GITHUB_STEP_SUMMARY)$/i.test(name))).toEqual([]);
    expect(seen.KEEP_ME).toBe('yes');
    expect(Object.values(seen).some((value) => value.includes(url.host))).toBe(false);
    // What the file printed is shown as text, never read by the runner as a command.
    expect(result.log).toContain('generateSql output: ::set-output name=revision::999');
    expect(result.log).not.toMatch(/^::set-output/m);
    expect(result.log).not.toMatch(/^::add-mask::x$/m);
    expect(result.outputs.revision).toBe('0');
    expect(await migrationRows(db)).toEqual([]);
  });
});
