import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSqlInChild, jsMigrationEnv } from '../../src/migrations/js-loader.js';
import { secretForms } from '../../src/secrets.js';

describe('the environment a .js migration sees', () => {
  const url = 'postgres://app:S3cret-pass%40word@db.internal:5432/shop';
  const env = {
    PATH: '/usr/lib/postgresql/15/bin:/usr/bin',
    HOME: '/home/runner',
    APP_SCHEMA: 'shop',
    DATABASE_URL: url,
    'INPUT_DATABASE-URL': url,
    INPUT_COMMAND: 'plan',
    PGPASSWORD: 'S3cret-pass@word',
    PGHOST: 'db.internal',
    PGSSLMODE: 'require',
    GITHUB_OUTPUT: '/runner/out',
    GITHUB_ENV: '/runner/env',
    GITHUB_STEP_SUMMARY: '/runner/summary',
    GITHUB_TOKEN: 'ghs_x',
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'x',
    CI_JOB_TOKEN: 'x',
    PRODUCTION_DATABASE_URL: url,
    SPLIT_PASSWORD: 'S3cret-pass@word',
  };

  it('drops the secret by name and by value, and keeps the rest', () => {
    expect(jsMigrationEnv(env, secretForms(url))).toEqual({ PATH: env.PATH, HOME: env.HOME, APP_SCHEMA: 'shop' });
  });

  it('does not look for short forms in values: a password like "postgres" must not take PATH away', () => {
    const weak = 'postgres://postgres:postgres@localhost/db';
    const clean = jsMigrationEnv({ PATH: '/usr/lib/postgresql/15/bin', DB: weak, DB_PASS: 'postgres' }, secretForms(weak));
    expect(clean).toEqual({ PATH: '/usr/lib/postgresql/15/bin' });
  });
});

describe('tokens a GitLab or GitHub job carries', () => {
  it('are not passed on, by name', () => {
    const env = { CI_REPOSITORY_URL: 'https://gitlab-ci-token:glcbt-x@gitlab.example/x.git', CI_DEPENDENCY_PROXY_PASSWORD: 'x', NPM_TOKEN: 'x', DB_PASSWORD: 'x', APP_NAME: 'shop' };
    expect(jsMigrationEnv(env, [])).toEqual({ APP_NAME: 'shop' });
  });
});

describe('a .js migration that leaves a process holding its output', () => {
  it('does not keep the load waiting (it settles on the child exit, not on the pipes closing)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ma-js-'));
    writeFileSync(
      path.join(dir, '1_spawns.js'),
      "const { spawn } = require('node:child_process');\nspawn('sleep', ['30'], { stdio: 'inherit', detached: true }).unref();\nexports.generateSql = () => 'SELECT 1';\n",
    );
    writeFileSync(path.join(dir, 'package.json'), '{ "type": "commonjs" }');
    const sql = await generateSqlInChild([{ fullPath: path.join(dir, '1_spawns.js'), label: 'm/1_spawns.js' }], { env: process.env, cwd: dir, output: () => undefined });
    expect([...sql.values()]).toEqual(['SELECT 1']);
  }, 8_000);
});
