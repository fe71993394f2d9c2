import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { freshDatabase, migrationRows, type TestDatabase } from '../support/db.js';
import { startForgeServer } from '../support/forge-server.js';
import { recordWritten } from '../support/leaks.js';
import { INPUTS } from '../../src/inputs.js';

const ROOT = path.resolve('.');
const BOOLEAN_INPUTS = new Set(INPUTS.filter((input) => 'type' in input && input.type === 'boolean').map((input) => input.name as string));
const GITLAB_CI_LOCAL = path.join(ROOT, 'node_modules', '.bin', 'gitlab-ci-local');
let tarball: string;
let db: TestDatabase | undefined;
const repos: string[] = [];

beforeAll(() => {
  tarball = inject('cliTarball');
});
afterAll(() => {
  for (const repo of repos) rmSync(repo, { recursive: true, force: true });
});
afterEach(async () => {
  await db?.close();
  db = undefined;
});

/**
 * A project that includes the component from this repository at its own commit, the way GitLab resolves
 * `$CI_SERVER_FQDN/$CI_PROJECT_PATH/migrate@$CI_COMMIT_SHA`, with a deploy job that needs the migration.
 */
function project(
  databaseUrl: string,
  migrations: Record<string, string> | 'example',
  options: { dir?: string; inputs?: Record<string, string>; example?: string; variables?: Record<string, string>; packageSpec?: string } = {},
): string {
  const dir = options.dir ?? 'db';
  const repo = mkdtempSync(path.join(os.tmpdir(), 'migrate-action-gitlab-'));
  repos.push(repo);
  cpSync(path.join(ROOT, 'templates'), path.join(repo, 'templates'), { recursive: true });
  if (migrations === 'example') {
    cpSync(path.join(ROOT, 'migrations-example', options.example ?? 'postgres-migrations'), path.join(repo, dir), { recursive: true });
  } else {
    mkdirSync(path.join(repo, dir));
    for (const [name, sql] of Object.entries(migrations)) {
      mkdirSync(path.dirname(path.join(repo, dir, name)), { recursive: true });
      writeFileSync(path.join(repo, dir, name), sql);
    }
  }
  // YAML single-quoted scalars: the value exactly as written, whatever it holds.
  // A boolean input is a YAML boolean (GitLab checks an input's type); backup is a string (auto, true, false).
  const yaml = (name: string, value: string) => (BOOLEAN_INPUTS.has(name) ? value : `'${value.replace(/'/g, "''")}'`);
  const extra = Object.entries({ 'migrations-dir': dir, ...options.inputs })
    .map(([name, value]) => `      ${name}: ${yaml(name, value)}\n`)
    .join('');
  writeFileSync(
    path.join(repo, '.gitlab-ci.yml'),
    `stages: [migrate, deploy]
include:
  - component: $CI_SERVER_FQDN/$CI_PROJECT_PATH/migrate@$CI_COMMIT_SHA
    inputs:
      stage: migrate
      package: ${options.packageSpec ?? tarball}
${extra}      environment: staging
      database-url-variable: STAGING_DATABASE_URL
      wait-timeout: 10
deploy:
  stage: deploy
  needs: [migrate]
  script:
    - echo "deploying against revision $MIGRATE_REVISION ($MIGRATE_REVISION_NAME), status $MIGRATE_STATUS, rolled back $MIGRATE_ROLLED_BACK_COUNT"
`,
  );
  // The masked CI/CD variable, as gitlab-ci-local reads it: from a file, not from its command line.
  commitRepo(repo, { STAGING_DATABASE_URL: databaseUrl, ...options.variables });
  return repo;
}

/**
 * Write the masked CI/CD variables as gitlab-ci-local reads them (from a file, not from its command line),
 * and commit the repository with a GitLab remote (the component's path comes from it).
 */
function commitRepo(repo: string, variables: Record<string, string>): void {
  writeFileSync(
    path.join(repo, '.gitlab-ci-local-variables.yml'),
    Object.entries(variables)
      .map(([name, value]) => `${name}: '${value}'\n`)
      .join(''),
  );
  writeFileSync(path.join(repo, '.gitignore'), '.gitlab-ci-local/\n.gitlab-ci-local-variables.yml\nmigrate.env\nmigrate-report/\n');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  git('remote', 'add', 'origin', 'git@gitlab.example.com:acme/shop.git');
  git('add', '-A');
  git('-c', 'user.email=ci@example.com', '-c', 'user.name=ci', 'commit', '-q', '-m', 'pipeline');
}

/**
 * A fleet: the component included once per database (its own job, environment, resource group and masked
 * variable), and a deploy job that needs all of them and reads every job's report.
 */
function fleetProject(urls: Record<string, string>, migrations: Record<string, string>): string {
  const repo = mkdtempSync(path.join(os.tmpdir(), 'migrate-action-fleet-'));
  repos.push(repo);
  cpSync(path.join(ROOT, 'templates'), path.join(repo, 'templates'), { recursive: true });
  mkdirSync(path.join(repo, 'db'));
  for (const [name, sql] of Object.entries(migrations)) writeFileSync(path.join(repo, 'db', name), sql);
  const tenants = Object.keys(urls);
  const includes = tenants
    .map(
      (tenant) => `  - component: $CI_SERVER_FQDN/$CI_PROJECT_PATH/migrate@$CI_COMMIT_SHA
    inputs:
      job-name: migrate-${tenant}
      stage: migrate
      environment: ${tenant}
      database-url-variable: ${tenant.toUpperCase()}_DATABASE_URL
      package: ${tarball}
      migrations-dir: db
      wait-timeout: 10
`,
    )
    .join('');
  writeFileSync(
    path.join(repo, '.gitlab-ci.yml'),
    `stages: [migrate, deploy]
include:
${includes}deploy:
  stage: deploy
  needs: [${tenants.map((t) => `migrate-${t}`).join(', ')}]
  script:
    - |
      for report in migrate-report/*.env; do echo "fleet report $report: $(grep -E '^MIGRATE_(STATUS|REVISION)=' "$report" | tr '\\n' ' ')"; done
`,
  );
  commitRepo(repo, Object.fromEntries(Object.entries(urls).map(([tenant, url]) => [`${tenant.toUpperCase()}_DATABASE_URL`, url])));
  return repo;
}

const PIPELINE_ARGS = ['--force-shell-executor', '--no-color'];
const PIPELINE_OPTIONS = { encoding: 'utf8' as const, env: { ...process.env, FORCE_COLOR: '0' }, timeout: 240_000 };

function recorded(stdout: string, stderr: string, code: number | null) {
  recordWritten('gitlab-ci-local stdout', stdout);
  recordWritten('gitlab-ci-local stderr', stderr);
  return { code, out: `${stdout}\n${stderr}` };
}

function pipeline(repo: string) {
  const result = spawnSync(GITLAB_CI_LOCAL, PIPELINE_ARGS, { ...PIPELINE_OPTIONS, cwd: repo });
  return recorded(result.stdout, result.stderr, result.status);
}

/** pipeline(), leaving this process's event loop free (for a server the pipeline talks to). */
function pipelineAsync(repo: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    execFile(GITLAB_CI_LOCAL, PIPELINE_ARGS, { ...PIPELINE_OPTIONS, cwd: repo, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      if (error && code === null) reject(error);
      else resolve(recorded(stdout, stderr, code));
    });
  });
}

describe('GitLab component through gitlab-ci-local', () => {
  it('migrates, and the deploy job reads MIGRATE_REVISION from the dotenv report', async () => {
    db = await freshDatabase();
    const run = pipeline(project(db.url, 'example'));
    expect(run.code, run.out).toBe(0);
    expect(run.out).toMatch(/PASS\s+migrate/);
    expect(run.out).toContain('deploying against revision 3 (add-users-last-login), status applied');
    expect((await migrationRows(db)).map((r) => r.id)).toEqual([0, 1, 2, 3]);
  });

  it.each([
    ['alembic', { 'alembic-config': 'db/alembic.ini', python: '/usr/bin/python3' }, '0003'],
    ['node-pg-migrate', { 'engine-path': path.join(ROOT, 'node_modules/.bin/node-pg-migrate') }, '3_create-posts'],
    ['dbmate', { 'engine-path': path.join(ROOT, 'node_modules/.bin/dbmate') }, '20240503100000'],
  ])('runs engine %s from the component, and the deploy job reads its revision', async (engine, inputs, revision) => {
    db = await freshDatabase();
    const run = pipeline(project(db.url, 'example', { example: engine, inputs: { engine, ...inputs } }));
    expect(run.code, run.out).toBe(0);
    expect(run.out).toMatch(/PASS\s+migrate/);
    expect(run.out).toContain(`deploying against revision ${revision} `);
    expect(run.out).toContain('status applied');
    expect(await db.query("SELECT to_regclass('posts') IS NOT NULL AS present")).toEqual([{ present: true }]);
  });

  it('rolls back with the component (a dry run first, then for real), and the deploy job reads the result', async () => {
    db = await freshDatabase();
    const files = {
      '1_a.sql': 'CREATE TABLE a (id int);',
      '2_b.sql': 'CREATE TABLE b (id int);',
      '3_c.sql': 'CREATE TABLE c (id int);',
      'down/2_b.sql': 'DROP TABLE b;',
      'down/3_c.sql': 'DROP TABLE c;',
    };
    expect(pipeline(project(db.url, files)).code).toBe(0);
    const rollback = { command: 'rollback', 'target-revision': '1', backup: 'false' };
    const dry = pipeline(project(db.url, files, { inputs: { ...rollback, 'dry-run': 'true' } }));
    expect(dry.code, dry.out).toBe(0);
    expect(dry.out).toMatch(/Would undo db\/down\/3_c\.sql: drops table c\./);
    expect(dry.out).toContain('status pending, rolled back 0');
    expect((await migrationRows(db)).map((r) => r.id)).toEqual([0, 1, 2, 3]);
    const real = pipeline(project(db.url, files, { inputs: rollback }));
    expect(real.code, real.out).toBe(0);
    expect(real.out).toContain('deploying against revision 1 (a), status rolled-back, rolled back 2');
    expect((await migrationRows(db)).map((r) => r.id)).toEqual([0, 1]);
  });

  it("writes the review's findings as the merge request's Code Quality report", async () => {
    db = await freshDatabase();
    const base = { '1_orders.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY, status text);\n' };
    expect(pipeline(project(db.url, base)).code).toBe(0);
    const repo = project(db.url, { ...base, '2_index.sql': '-- an index\nCREATE INDEX orders_status ON orders (status);\n' }, { inputs: { command: 'plan' } });
    const run = pipeline(repo);
    expect(run.code, run.out).toBe(0);
    const report = JSON.parse(readFileSync(path.join(repo, 'gl-code-quality-report.json'), 'utf8')) as {
      check_name: string;
      severity: string;
      fingerprint: string;
      description: string;
      location: { path: string; lines: { begin: number } };
    }[];
    const index = report.find((r) => r.check_name === 'create-index-not-concurrently');
    expect(index).toMatchObject({ severity: 'major', location: { path: 'db/2_index.sql', lines: { begin: 2 } } });
    expect(index!.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(index!.description).toMatch(/CREATE INDEX CONCURRENTLY/);
    // The same finding in the next pipeline keeps its fingerprint (GitLab compares them between pipelines).
    expect(pipeline(repo).code).toBe(0);
    const again = JSON.parse(readFileSync(path.join(repo, 'gl-code-quality-report.json'), 'utf8')) as typeof report;
    expect(again.map((r) => r.fingerprint)).toEqual(report.map((r) => r.fingerprint));
  });

  it('posts the plan as one merge request note, with the token from the masked variable gitlab-token names, and updates it on the next push', async () => {
    db = await freshDatabase();
    const NOTE_TOKEN = 'glpat-componentNote0123456789';
    const forge = await startForgeServer({ [NOTE_TOKEN]: { author: '41' } });
    try {
      const base = { '1_orders.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY, status text);\n' };
      expect(pipeline(project(db.url, base)).code).toBe(0);
      // The merge request pipeline's variables, as GitLab gives them (gitlab-ci-local says GITLAB_CI=false),
      // pointing at the local API.
      const options = (files: Record<string, string>) =>
        project(db!.url, { ...base, ...files }, {
          inputs: { command: 'plan', comment: 'true', 'gitlab-token': '$PLAN_NOTE_TOKEN' },
          variables: { PLAN_NOTE_TOKEN: NOTE_TOKEN, GITLAB_CI: 'true', CI_MERGE_REQUEST_IID: '12', CI_MERGE_REQUEST_PROJECT_ID: '5', CI_API_V4_URL: `${forge.url}/api/v4` },
        });
      const first = await pipelineAsync(options({ '2_index.sql': 'CREATE INDEX orders_status ON orders (status);\n' }));
      expect(first.code, first.out).toBe(0);
      expect(first.out).toContain('comment: posted the plan on merge request !12');
      const second = await pipelineAsync(options({ '2_index.sql': 'CREATE INDEX orders_status ON orders (status);\n', '3_more.sql': 'CREATE TABLE more (id int);\n' }));
      expect(second.code, second.out).toBe(0);
      expect(second.out).toContain('comment: updated the plan on merge request !12');
      expect(forge.comments).toHaveLength(1);
      expect(forge.comments[0]!.body).toContain('CREATE TABLE more (id int);');
      expect(forge.comments[0]!.body).toContain('`create-index-not-concurrently`');
      expect(forge.requests.filter((r) => r.method !== 'GET').map((r) => r.method)).toEqual(['POST', 'PUT']);
      for (const request of forge.requests) expect(request.headers['private-token']).toBe(NOTE_TOKEN);
      expect(`${first.out}\n${second.out}`).not.toContain(NOTE_TOKEN);
    } finally {
      await forge.close();
    }
  });

  it('plans on a shadow copy of the schema from a masked variable, and stops the pipeline at a migration that fails there', async () => {
    db = await freshDatabase();
    const shadow = await freshDatabase('shadow');
    try {
      const base = { '1_orders.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY, status text);\n' };
      expect(pipeline(project(db.url, base)).code).toBe(0);
      const options = { inputs: { command: 'plan', 'shadow-database-url-variable': 'SHADOW_URL' }, variables: { SHADOW_URL: shadow.url } };
      const good = pipeline(project(db.url, { ...base, '2_placed.sql': 'ALTER TABLE orders ADD COLUMN placed timestamptz DEFAULT clock_timestamp();\n' }, options));
      expect(good.code, good.out).toBe(0);
      expect(good.out).toMatch(/2_placed\.sql:1 ALTER TABLE ADD COLUMN on the shadow: confirmed \(ACCESS EXCLUSIVE on orders; rewrote orders\)/);
      expect(good.out).toContain('deploying against revision 1');
      const bad = pipeline(project(db.url, { ...base, '2_status.sql': 'ALTER TABLE orders ADD COLUMN status text;\n' }, options));
      expect(bad.code).not.toBe(0);
      expect(bad.out).toMatch(/2_status\.sql:1 fails on a copy of the database's schema: column "status" of relation "orders" already exists/);
      expect(bad.out).not.toContain('deploying against');
      // The variable named but not set: a clear error, not a plan without its shadow.
      const unset = pipeline(project(db.url, base, { inputs: { command: 'plan', 'shadow-database-url-variable': 'NO_SUCH_URL' } }));
      expect(unset.code).not.toBe(0);
      expect(unset.out).toContain('shadow-database-url-variable names NO_SUCH_URL, which is empty or not set in this job');
      expect(await shadow.query("SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace")).toEqual([{ n: 0 }]);
      expect((await migrationRows(db)).map((r) => r.id)).toEqual([0, 1]);
    } finally {
      await shadow.close();
    }
  });

  it('runs the package from a tarball URL, as before a version is published (package input)', async () => {
    db = await freshDatabase();
    // The packed tarball, served over HTTP as a release asset or a package registry's file would be.
    const server = http.createServer((request, response) => {
      if (request.url !== '/downloads/migrate-action.tgz') {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      createReadStream(tarball).pipe(response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const run = await pipelineAsync(project(db.url, 'example', { packageSpec: `http://127.0.0.1:${port}/downloads/migrate-action.tgz` }));
      expect(run.code, run.out).toBe(0);
      expect(run.out).toContain('deploying against revision 3 (add-users-last-login), status applied');
      expect((await migrationRows(db)).map((r) => r.id)).toEqual([0, 1, 2, 3]);
    } finally {
      server.close();
    }
  });

  it('migrates a fleet of 4 databases, one job each; the deploy waits for all and reads every revision; one failure blocks it', async () => {
    const tenants = ['alpha', 'beta', 'gamma', 'delta'];
    const dbs = await Promise.all(tenants.map(() => freshDatabase('fleet')));
    try {
      const migrations = {
        '1_accounts.sql': 'CREATE TABLE accounts (id bigint PRIMARY KEY);\n',
        '2_orders.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts (id));\n',
      };
      const urls = Object.fromEntries(tenants.map((tenant, i) => [tenant, dbs[i]!.url]));
      const run = pipeline(fleetProject(urls, migrations));
      expect(run.code, run.out).toBe(0);
      for (const tenant of tenants) {
        expect(run.out).toMatch(new RegExp(`PASS\\s+migrate-${tenant}`));
        expect(run.out).toMatch(new RegExp(`fleet report migrate-report/migrate-${tenant}\\.env: MIGRATE_STATUS=applied MIGRATE_REVISION=2 `));
      }
      // Each database migrated exactly once.
      for (const db of dbs) expect((await migrationRows(db)).map((r) => r.id)).toEqual([0, 1, 2]);

      // One database that cannot take the next migration: its job fails, the others apply, deploy never starts.
      await dbs[2]!.query('CREATE TABLE items (id int)');
      const next = { ...migrations, '3_items.sql': 'CREATE TABLE items (id bigint PRIMARY KEY);\n' };
      const failing = pipeline(fleetProject(urls, next));
      expect(failing.code).not.toBe(0);
      expect(failing.out).toMatch(/FAIL\s+migrate-gamma/);
      expect(failing.out).not.toContain('fleet report');
      for (const [i, db] of dbs.entries()) expect((await migrationRows(db)).map((r) => r.id), tenants[i]).toEqual(i === 2 ? [0, 1, 2] : [0, 1, 2, 3]);
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
    }
  });

  it('stops the pipeline at a failed migration: deploy never starts', async () => {
    db = await freshDatabase();
    const run = pipeline(project(db.url, { '1_ok.sql': 'CREATE TABLE ok (id int);', '2_broken.sql': 'CREATE TABLE broken (id nosuchtype);' }));
    expect(run.code).not.toBe(0);
    expect(run.out).toMatch(/FAIL\s+migrate/);
    expect(run.out).toMatch(/db\/2_broken\.sql failed at line 1, column \d+: 42704 type "nosuchtype" does not exist/);
    expect(run.out).not.toContain('deploying against revision');
    expect((await migrationRows(db)).map((r) => r.id)).toEqual([0, 1]);
  });

  it.each([
    ['a command substitution', 'db$(touch INJECTED)'],
    ['backticks', 'db`touch INJECTED`'],
    ['a double quote that would end the argument', 'db" ; touch INJECTED ; echo "'],
  ])('takes an input holding %s literally: no command runs and no later flag is lost', async (_, hostile) => {
    db = await freshDatabase();
    const repo = project(db.url, { '1_seen.sql': "CREATE TABLE seen AS SELECT current_setting('lock_timeout') AS lock_timeout;\n" }, {
      dir: hostile,
      inputs: { 'backup-dir': hostile, 'pg-dump-path': hostile, settings: 'lock_timeout=4s', 'target-revision': '' },
    });
    const run = pipeline(repo);
    expect(run.code, run.out).toBe(0);
    expect(run.out).toContain('deploying against revision 1 (seen), status applied');
    // The migration ran from the directory literally named so, with the settings given after it.
    expect(await db.query('SELECT lock_timeout FROM seen')).toEqual([{ lock_timeout: '4s' }]);
    expect(existsSync(path.join(repo, 'migrate.env'))).toBe(true);
    const created = readdirSync(path.join(repo, '.gitlab-ci-local', 'builds'), { recursive: true }).map(String);
    expect(created.filter((name) => name.endsWith('INJECTED'))).toEqual([]);
    expect(existsSync(path.join(repo, 'INJECTED'))).toBe(false);
  });

  it('reads the dotenv report as GitLab would: MIGRATE_* keys only, one line each', async () => {
    db = await freshDatabase();
    const repo = project(db.url, 'example');
    pipeline(repo);
    const report = readFileSync(path.join(repo, 'migrate.env'), 'utf8');
    recordWritten('migrate.env', report);
    const lines = report.trim().split('\n');
    expect(lines.map((l) => l.split('=')[0])).toEqual([
      'MIGRATE_STATUS',
      'MIGRATE_REVISION',
      'MIGRATE_REVISION_NAME',
      'MIGRATE_PREVIOUS_REVISION',
      'MIGRATE_APPLIED_COUNT',
      'MIGRATE_PENDING_COUNT',
      'MIGRATE_ROLLED_BACK_COUNT',
      'MIGRATE_FINDINGS_COUNT',
      'MIGRATE_BACKUP_PATH',
    ]);
    for (const line of lines) expect(line).toMatch(/^[A-Z_]+=[^\s"']*$/);
  });
});
