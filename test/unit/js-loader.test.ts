import { describe, expect, it } from 'vitest';
import { jsMigrationEnv } from '../../src/migrations/js-loader.js';
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
