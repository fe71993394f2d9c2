import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import { renderCodeQuality } from '../../src/cli.js';
import { parseConfig, type RawInputs } from '../../src/config.js';
import { INPUTS } from '../../src/inputs.js';
import { cliPlatform, urlFromLibpqEnv } from '../../src/platform/cli.js';

const defaults = () => Object.fromEntries(INPUTS.map((i) => [i.name, 'default' in i ? i.default : ''])) as unknown as RawInputs;

function io(env: Record<string, string>, tty = false) {
  const out: string[] = [];
  return { out, io: { env, cwd: '/work', tty, write: (l: string) => out.push(l), writeError: (l: string) => out.push(`E ${l}`), now: () => 1700000000 } };
}

describe('CLI platform', () => {
  it('folds each phase into a GitLab collapsible section inside GitLab CI', async () => {
    const { out, io: env } = io({ GITLAB_CI: 'true' });
    const platform = cliPlatform({}, env);
    await platform.group('Take the migration lock', async () => platform.info('Lock taken.'));
    expect(out).toEqual([
      '\u001b[0Ksection_start:1700000000:migrate_take_the_migration_lock[collapsed=false]\r\u001b[0KTake the migration lock',
      'Lock taken.',
      '\u001b[0Ksection_end:1700000000:migrate_take_the_migration_lock\r\u001b[0K',
    ]);
  });

  it('prints plain headings without colour off a terminal, and colours on one', async () => {
    const plain = io({});
    await cliPlatform({}, plain.io).group('Apply', async () => undefined);
    expect(plain.out).toEqual(['== Apply']);
    const tty = io({}, true);
    cliPlatform({}, tty.io).error('bad', { file: 'db/1_a.sql', line: 3 });
    expect(tty.out).toEqual(['E \u001b[31merror:\u001b[0m db/1_a.sql:3: bad']);
    const noColor = io({ NO_COLOR: '1' }, true);
    cliPlatform({}, noColor.io).warning('careful');
    expect(noColor.out).toEqual(['E warning: careful']);
  });

  it('prints a failure once even when it was already shown as an error', () => {
    const { out, io: env } = io({});
    const platform = cliPlatform({}, env);
    platform.error('Migration x failed', { file: 'x.sql' });
    platform.fail('Migration x failed', { file: 'x.sql' });
    platform.fail('Input y is bad.');
    expect(out).toEqual(['E error: x.sql: Migration x failed', 'E error: Input y is bad.']);
  });

  it('takes the URL from the flag, then DATABASE_URL, then the libpq variables', () => {
    const env = { DATABASE_URL: 'postgres://a@h/d', PGHOST: 'other' };
    expect(cliPlatform({ 'database-url': 'postgres://flag@h/d' }, io(env).io).getInput('database-url')).toBe('postgres://flag@h/d');
    expect(cliPlatform({}, io(env).io).getInput('database-url')).toBe('postgres://a@h/d');
    expect(cliPlatform({}, io({ PGHOST: 'db', PGUSER: 'app', PGPASSWORD: 'p@ss/w', PGDATABASE: 'shop', PGSSLMODE: 'require' }).io).getInput('database-url')).toBe(
      'postgres://app:p%40ss%2Fw@db:5432/shop?sslmode=require',
    );
    const socket = urlFromLibpqEnv({ PGHOST: '/var/run/postgresql', PGUSER: 'app' });
    expect(socket).toBe('postgres://app@/app?host=%2Fvar%2Frun%2Fpostgresql&port=5432');
    // and the config parser accepts it (libpq's socket form)
    expect(parseConfig({ ...defaults(), 'database-url': socket }, { workspace: '/w', tempDir: '/t' }).endpoint).toMatchObject({ host: '/var/run/postgresql', database: 'app' });
    expect(urlFromLibpqEnv({})).toBe('');
    // TLS files travel with the mode, as libpq would read them.
    expect(urlFromLibpqEnv({ PGHOST: 'db', PGUSER: 'app', PGSSLMODE: 'verify-full', PGSSLROOTCERT: '/etc/ca.pem', PGSSLCERT: '/c.pem', PGSSLKEY: '/k.pem' })).toBe(
      'postgres://app@db:5432/app?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&sslcert=%2Fc.pem&sslkey=%2Fk.pem',
    );
  });
});

describe('CLI platform: the plan comment', () => {
  it('posts to GitLab in GitLab CI and to GitHub in GitHub Actions, with the token from the environment only', () => {
    const gitlab = cliPlatform({}, io({ GITLAB_CI: 'true', GITLAB_TOKEN: 'glpat-1', GITHUB_TOKEN: 'ghp-1' }).io);
    expect(gitlab.forge).toEqual({ name: 'gitlab', tokenInput: 'gitlab-token (GITLAB_TOKEN)' });
    expect(gitlab.getInput('gitlab-token')).toBe('glpat-1');
    expect(cliPlatform({}, io({ GITHUB_ACTIONS: 'true', GITHUB_TOKEN: 'ghp-1' }).io).forge).toEqual({ name: 'github', tokenInput: 'GITHUB_TOKEN' });
    expect(cliPlatform({}, io({}).io).forge).toBeUndefined();
    expect(cliPlatform({}, io({}).io).getInput('github-token')).toBe('');
  });

  it('takes --comment alone or with a value, and refuses a token as a flag without echoing it', () => {
    expect(parseArgs(['plan', '--comment'])).toMatchObject({ inputs: { command: 'plan', comment: 'true' } });
    expect(parseArgs(['plan', '--comment', 'false', '--lint', 'off'])).toMatchObject({ inputs: { comment: 'false', lint: 'off' } });
    for (const [flag, variable] of [['--github-token', 'GITHUB_TOKEN'], ['--gitlab-token=glpat-secret', 'GITLAB_TOKEN']] as const) {
      let message = '';
      try {
        parseArgs(['plan', flag, 'glpat-secret']);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toContain(`is not taken on the command line, where every process on the machine could read it; set ${variable} in the environment`);
      expect(message).not.toContain('glpat-secret');
    }
  });
});

describe('CLI arguments', () => {
  it('maps flags to inputs; --settings repeats; booleans may stand alone', () => {
    expect(parseArgs(['apply', '--migrations-dir=db', '--settings', 'lock_timeout=5s', '--settings', 'statement_timeout=1min', '--backup', '--dotenv', 'out.env'])).toEqual({
      kind: 'run',
      inputs: { command: 'apply', 'migrations-dir': 'db', backup: 'true', settings: 'lock_timeout=5s\nstatement_timeout=1min' },
      dotenv: 'out.env',
    });
    expect(parseArgs(['plan', '--summary', 'false', '--target-revision', ''])).toMatchObject({ inputs: { summary: 'false', 'target-revision': '' } });
  });

  it('takes --code-quality FILE', () => {
    expect(parseArgs(['plan', '--code-quality', 'gl.json'])).toMatchObject({ kind: 'run', codeQuality: 'gl.json' });
  });

  it("writes the review's findings as GitLab Code Quality: [] when none, silenced ones left out, a stable fingerprint", () => {
    const base = { command: 'plan' as const, status: 'pending' as const, applied: [], durationMs: 1 };
    expect(renderCodeQuality(base)).toBe('[]\n');
    const finding = { rule: 'breaking-change' as const, file: 'db/2_x.sql', line: 3, statement: 'ALTER TABLE t DROP COLUMN c', message: 'db/2_x.sql:3: DROP COLUMN …', detail: 'DROP COLUMN …' };
    const report = JSON.parse(renderCodeQuality({ ...base, findings: [finding, { ...finding, line: 9, ignored: 'unused' }] })) as unknown[];
    expect(report).toEqual([
      {
        description: finding.message,
        check_name: 'breaking-change',
        fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
        severity: 'major',
        location: { path: 'db/2_x.sql', lines: { begin: 3 } },
      },
    ]);
    expect(renderCodeQuality({ ...base, findings: [finding] })).toBe(renderCodeQuality({ ...base, findings: [finding] }));
    // The same statement twice in one file: two fingerprints.
    const twice = JSON.parse(renderCodeQuality({ ...base, findings: [finding, { ...finding, line: 7 }] })) as { fingerprint: string }[];
    expect(new Set(twice.map((r) => r.fingerprint)).size).toBe(2);
  });

  it('takes rollback with -N as a value, --dry-run alone, and --backup auto', () => {
    expect(parseArgs(['rollback', '--target-revision', '-2', '--dry-run', '--backup', 'auto'])).toEqual({
      kind: 'run',
      inputs: { command: 'rollback', 'target-revision': '-2', 'dry-run': 'true', backup: 'auto' },
      dotenv: undefined,
    });
    expect(parseArgs(['rollback', '--target-revision=base', '--dry-run', 'false'])).toMatchObject({ inputs: { 'target-revision': 'base', 'dry-run': 'false' } });
  });
});
