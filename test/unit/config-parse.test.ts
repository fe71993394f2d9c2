import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, type RawInputs } from '../../src/config.js';
import { INPUTS } from '../../src/inputs.js';
import { redact, secretForms } from '../../src/secrets.js';

const PASSWORD = 'p@ss:w/rd%#!';
const URL_OK = `postgres://app:${encodeURIComponent(PASSWORD)}@db.internal:6543/shop?sslmode=require`;
const places = { workspace: '/repo', tempDir: '/runner-temp' };

function raw(overrides: Partial<Record<string, string>> = {}): RawInputs {
  const base = Object.fromEntries(INPUTS.map((i) => [i.name, 'default' in i ? i.default : ''])) as Record<string, string>;
  return { ...base, 'database-url': URL_OK, ...overrides } as RawInputs;
}

function problems(overrides: Partial<Record<string, string>>): string[] {
  try {
    parseConfig(raw(overrides), places);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('parses the defaults into a frozen config', () => {
    const config = parseConfig(raw(), places);
    expect(config).toMatchObject({
      command: 'apply',
      endpoint: { user: 'app', host: 'db.internal', port: 6543, database: 'shop' },
      migrationsDir: '/repo/migrations',
      migrationsDirLabel: 'migrations',
      lockWaitTimeoutMs: 300_000,
      waitTimeoutMs: 60_000,
      lockRetries: 0,
      summary: true,
      settings: [],
    });
    expect(config.backup).toBeUndefined();
    expect(config.targetRevision).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('parses backup inputs with the runner temp dir as default home', () => {
    expect(parseConfig(raw({ backup: 'true' }), places).backup).toEqual({ dir: '/runner-temp/migrate-backups', format: 'custom', pgDumpPath: undefined });
    expect(parseConfig(raw({ backup: 'TRUE', 'backup-dir': 'dumps', 'backup-format': 'plain' }), places).backup).toMatchObject({ dir: '/repo/dumps', format: 'plain' });
  });

  it.each([
    ['wait-timeout', 'abc', /Input wait-timeout "abc" is not a whole number of seconds; use e\.g\. wait-timeout: 60/],
    ['wait-timeout', '1.5', /Input wait-timeout "1\.5" is not a whole number/],
    ['wait-timeout', '99999', /Input wait-timeout "99999" is above the maximum of 3600 seconds/],
    ['lock-wait-timeout', '-5', /Input lock-wait-timeout "-5" is not a whole number/],
    ['lock-retries', '1000', /Input lock-retries "1000" is above the maximum of 100 retries/],
    ['command', 'migrate', /Input command "migrate" is not a command; use one of apply, plan, check, baseline/],
    ['summary', 'yes', /Input summary "yes" is not a boolean; use true or false/],
    ['backup', '1', /Input backup "1" is not a boolean/],
    ['backup-format', 'tar', /Input backup-format "tar" is not a backup format; use custom or plain/],
    ['target-revision', 'v2', /Input target-revision "v2" is not a migration id/],
    ['target-revision', '0', /Input target-revision "0" must be 1 or more/],
    ['migrations-dir', '   ', /Input migrations-dir is empty/],
  ])('rejects %s=%j', (name, value, message) => {
    const list = problems({ [name]: value });
    expect(list).toHaveLength(1);
    expect(list[0]).toMatch(message);
  });

  it('requires target-revision for baseline', () => {
    expect(problems({ command: 'baseline' })).toEqual([
      'Input target-revision is required for command baseline; set it to the id of the last migration the database already has.',
    ]);
  });

  it('lists every bad input at once', () => {
    expect(problems({ 'wait-timeout': 'x', 'lock-retries': 'y', command: 'z' })).toHaveLength(3);
  });

  it.each([
    ['lock_timeout', /settings line 1 "lock_timeout" is not name=value/],
    ['=5s', /settings line 1 "=5s" has no valid setting name/],
    ['lock timeout=5s', /has no valid setting name/],
    ['lock_timeout=', /has an empty value; write e\.g\. lock_timeout=5s/],
    ['lock_timeout=1s\nLOCK_TIMEOUT=2s', /settings line 2 "LOCK_TIMEOUT=2s" sets LOCK_TIMEOUT a second time/],
  ])('rejects settings %j', (settings, message) => {
    expect(problems({ settings })[0]).toMatch(message);
  });

  it('reads settings lines, skipping blanks and comments, CRLF or LF', () => {
    const config = parseConfig(raw({ settings: '# migrations\r\nlock_timeout = 5s\r\n\r\nstatement_timeout=15min\r\nmyapp.flag=on' }), places);
    expect(config.settings).toEqual([
      { name: 'lock_timeout', value: '5s' },
      { name: 'statement_timeout', value: '15min' },
      { name: 'myapp.flag', value: 'on' },
    ]);
  });
});

describe('database-url validation', () => {
  it.each([
    ['', /is empty: the secret is probably not available to this event \(a pull request from a fork/],
    ['mysql://u:p@h/db', /has scheme "mysql:", which is not PostgreSQL; use postgres:\/\/user:password@host:5432\/database/],
    ['just-a-host', /is not a URL/],
    ['postgres:///db', /has no host/],
    ['postgres://u:p@host:5432', /has no database name/],
    ['postgres://u:p@host:5432/', /has no database name/],
    ['postgres://u:%zz@host/db', /has bad percent-encoding in the password/],
    ['postgres://u:pa/ss@host/db', /percent-encode special characters|has no database name|"\/" in the database name/],
    ['postgres://u:p@host:99999/db', /cannot be parsed as a URL/],
    ['postgres://u:p w@host/db', /contains whitespace/],
    ['postgres://u:p@host/db?sslmode=maybe', /has sslmode=maybe, which is not an SSL mode/],
  ])('rejects %j without showing the URL', (url, message) => {
    const list = problems({ 'database-url': url });
    expect(list[0]).toMatch(message);
    if (url.length > 0) expect(list[0]).not.toContain(url);
    expect(list[0]).not.toMatch(/pa\/ss|p w|%zz/);
  });

  it('accepts a password with every URL-special character when encoded, and never shows it', () => {
    const config = parseConfig(raw(), places);
    expect(JSON.stringify({ ...config, databaseUrl: undefined })).not.toContain(encodeURIComponent(PASSWORD));
    expect(config.databaseUrl).toBe(URL_OK);
  });

  it('accepts postgresql:// and a socket directory in ?host=', () => {
    expect(parseConfig(raw({ 'database-url': 'postgresql://app@/shop?host=/var/run/postgresql' }), places).endpoint).toEqual({
      user: 'app',
      host: '/var/run/postgresql',
      port: 5432,
      database: 'shop',
    });
  });

  it('takes a platform hint for an empty URL', () => {
    expect(() => parseConfig(raw({ 'database-url': '' }), { ...places, emptyDatabaseUrlHint: 'set --database-url' })).toThrow(
      'Input database-url is empty: set --database-url.',
    );
  });
});

describe('secret forms', () => {
  it('covers the password as written, decoded and re-encoded, and the whole URL', () => {
    const forms = secretForms(URL_OK);
    expect(forms).toEqual(expect.arrayContaining([URL_OK, PASSWORD, encodeURIComponent(PASSWORD)]));
  });

  it('works on malformed URLs: an unencoded @ or / or bad % in the password', () => {
    expect(secretForms('postgres://u:p@ss/w@host/db')).toContain('p@ss/w');
    expect(secretForms('postgres://u:%zzsecret@host/db')).toContain('%zzsecret');
    expect(secretForms('')).toEqual([]);
  });

  it('redacts every form, longest first', () => {
    const forms = secretForms(URL_OK);
    expect(redact(`url ${URL_OK} pw ${PASSWORD} enc ${encodeURIComponent(PASSWORD)}`, forms)).toBe('url *** pw *** enc ***');
  });
});
