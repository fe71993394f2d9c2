import path from 'node:path';
import { parse as parsePg } from 'pg-connection-string';
import { describe, expect, it } from 'vitest';
import { ConfigError, describeSettings, parseConfig, type RawInputs } from '../../src/config.js';
import { tlsSettings } from '../../src/db/tls.js';
import { INPUTS } from '../../src/inputs.js';
import { redact, secretForms } from '../../src/secrets.js';

const PASSWORD = 'p@ss:w/rd%#!';
const URL_OK = `postgres://app:${encodeURIComponent(PASSWORD)}@db.internal:6543/shop?sslmode=require`;
const workspace = path.resolve('repo-root');
const tempDir = path.resolve('runner-temp');
const places = { workspace, tempDir };

function raw(overrides: Partial<Record<string, string>> = {}): RawInputs {
  const base = Object.fromEntries(INPUTS.map((i) => [i.name, 'default' in i ? i.default : ''])) as Record<string, string>;
  return { ...base, 'database-url': URL_OK, ...overrides } as RawInputs;
}

function problems(overrides: Partial<Record<string, string>>): string[] {
  let caught: unknown;
  try {
    parseConfig(raw(overrides), places);
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a ConfigError for ${JSON.stringify(overrides)}`).toBeInstanceOf(ConfigError);
  const list = [...(caught as ConfigError).problems];
  for (const problem of list) {
    // one line, names the input
    expect(problem).not.toMatch(/[\r\n]/);
    expect(problem).toMatch(/^Input [a-z-]+ /);
  }
  return list;
}

describe('parseConfig', () => {
  it('parses the defaults into a frozen config', () => {
    const config = parseConfig(raw(), places);
    expect(config).toEqual({
      command: 'apply',
      engine: 'postgres-migrations',
      targetRevision: undefined,
      rollback: undefined,
      dryRun: false,
      lockKey: '-8525285245963000605',
      tools: { python: 'python3', alembicConfig: path.join(workspace, 'alembic.ini'), alembicConfigLabel: 'alembic.ini', enginePath: undefined },
      workspace: path.resolve(workspace),
      backup: undefined,
      databaseUrl: URL_OK,
      endpoint: { user: 'app', host: 'db.internal', port: 6543, database: 'shop' },
      migrationsDir: path.join(workspace, 'migrations'),
      migrationsDirLabel: 'migrations',
      lockWaitTimeoutMs: 300_000,
      waitTimeoutMs: 60_000,
      lockRetries: 0,
      summary: true,
      settings: [],
      lint: 'warn',
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.settings)).toBe(true);
  });

  it('resolves migrations-dir against the workspace, keeping the label as written', () => {
    const config = parseConfig(raw({ 'migrations-dir': ' db/migrations ' }), places);
    expect(config.migrationsDir).toBe(path.join(workspace, 'db', 'migrations'));
    expect(config.migrationsDirLabel).toBe('db/migrations');
  });

  it('parses backup inputs with the runner temp dir as default home', () => {
    expect(parseConfig(raw({ backup: 'true' }), places).backup).toEqual({
      dir: path.join(tempDir, 'migrate-backups'),
      format: 'custom',
      pgDumpPath: undefined,
      retention: undefined,
    });
    expect(parseConfig(raw({ backup: 'TRUE', 'backup-dir': 'dumps', 'backup-format': 'plain' }), places).backup).toMatchObject({
      dir: path.join(workspace, 'dumps'),
      format: 'plain',
    });
  });

  describe.each([
    ['lock-wait-timeout', 86_400, 'seconds', 1000],
    ['wait-timeout', 3_600, 'seconds', 1000],
    ['lock-retries', 100, 'retries', 1],
  ] as const)('numeric input %s (max %d)', (name, max, unit, scale) => {
    const key = ({ 'lock-wait-timeout': 'lockWaitTimeoutMs', 'wait-timeout': 'waitTimeoutMs', 'lock-retries': 'lockRetries' } as const)[name];

    it.each([
      ['0', 0],
      ['7', 7],
      [' 12 ', 12],
      ['007', 7],
      [String(max), max],
    ])('accepts %j', (value, expected) => {
      expect(parseConfig(raw({ [name]: value }), places)[key]).toBe(expected * scale);
    });

    it.each(['abc', '-5', '1.5', '2.0', '1e3', '0x10', '', '   ', '+3', '5s', '١٢'])('rejects %j as not a whole number', (value) => {
      const list = problems({ [name]: value });
      expect(list).toHaveLength(1);
      expect(list[0]).toBe(
        `Input ${name} ${JSON.stringify(value.replace(/\s+/g, ' '))} is not a whole number of ${unit}; use e.g. ${name}: ${
          { 'lock-wait-timeout': '300', 'wait-timeout': '60', 'lock-retries': '3' }[name]
        }.`,
      );
    });

    it.each([String(max + 1), '99999999999999999999999'])('rejects %j as out of range', (value) => {
      expect(problems({ [name]: value })).toEqual([`Input ${name} "${value}" is above the maximum of ${max} ${unit}.`]);
    });
  });

  it.each([
    ['123456', '123456'],
    [' -42 ', '-42'],
    ['9223372036854775807', '9223372036854775807'],
    ['-9223372036854775808', '-9223372036854775808'],
    ['007', '7'],
  ])('accepts lock-key %j as %s', (value, expected) => {
    expect(parseConfig(raw({ 'lock-key': value }), places).lockKey).toBe(expected);
  });

  it.each([
    ['9223372036854775808', /is outside the bigint range/],
    ['-9223372036854775809', /is outside the bigint range/],
    ['12.5', /is not a bigint/],
    ['0x10', /is not a bigint/],
    ['1; DROP TABLE x', /is not a bigint/],
    ['', /is not a bigint/],
  ])('rejects lock-key %j', (value, message) => {
    const list = problems({ 'lock-key': value === '' ? ' ' : value });
    expect(list).toHaveLength(1);
    expect(list[0]).toMatch(message);
  });

  it("refuses node-pg-migrate's own lock key for engine node-pg-migrate: it would then fail to take it", () => {
    expect(problems({ engine: 'node-pg-migrate', 'lock-key': '7241865325823964' })).toEqual([
      "Input lock-key 7241865325823964 is node-pg-migrate's own lock key, which it takes itself while it runs; leave lock-key at its default, or use your application's own key.",
    ]);
    expect(parseConfig(raw({ engine: 'dbmate', 'lock-key': '7241865325823964' }), places).lockKey).toBe('7241865325823964');
  });

  it.each(['alembic', 'node-pg-migrate', 'dbmate'])('accepts engine %s, with its own revision ids as target-revision', (engine) => {
    const config = parseConfig(raw({ engine, 'target-revision': '3f2a9c1b4d5e' }), places);
    expect(config).toMatchObject({ engine, targetRevision: '3f2a9c1b4d5e' });
  });

  it.each(['flyway', 'Alembic', ''])('rejects engine %j, listing the engines', (engine) => {
    expect(problems({ engine: engine === '' ? ' ' : engine })[0]).toMatch(/is not a supported engine; use one of postgres-migrations, alembic, node-pg-migrate, dbmate\./);
  });

  it.each(['a b', '../x', '$(id)', 'x;y', '--1', '-0', '-x'])('rejects target-revision %j for any engine', (target) => {
    expect(problems({ engine: 'alembic', 'target-revision': target })[0]).toMatch(/Input target-revision .* is not a migration id/);
  });

  it('resolves python and engine-path given as paths against the workspace; bare names stay for PATH', () => {
    const config = parseConfig(raw({ python: '.venv/bin/python', 'engine-path': 'bin/dbmate', 'alembic-config': 'db/alembic.ini' }), places);
    expect(config.tools).toEqual({
      python: path.join(workspace, '.venv/bin/python'),
      enginePath: path.join(workspace, 'bin/dbmate'),
      alembicConfig: path.join(workspace, 'db/alembic.ini'),
      alembicConfigLabel: 'db/alembic.ini',
    });
    expect(parseConfig(raw({ 'engine-path': 'dbmate' }), places).tools.enginePath).toBe('dbmate');
  });

  it.each(['apply', 'plan', 'check', 'status'])('accepts command %s', (command) => {
    expect(parseConfig(raw({ command }), places).command).toBe(command);
  });

  it('accepts baseline with a target revision', () => {
    expect(parseConfig(raw({ command: 'baseline', 'target-revision': ' 4 ' }), places)).toMatchObject({ command: 'baseline', targetRevision: '4' });
  });

  it.each(['migrate', 'APPLY', 'up', ''])('rejects command %j, listing the commands', (command) => {
    expect(problems({ command })).toEqual([`Input command ${JSON.stringify(command)} is not a command; use one of apply, plan, check, baseline, status, rollback.`]);
  });

  it.each([
    ['true', true],
    ['True', true],
    ['TRUE', true],
    [' true ', true],
    ['false', false],
    ['False', false],
    ['FALSE', false],
  ])('reads summary %j as %s', (summary, expected) => {
    expect(parseConfig(raw({ summary }), places).summary).toBe(expected);
  });

  it.each(['yes', 'no', '1', '0', 'on', 'tRuE', 'fals', ''])('rejects summary %j', (summary) => {
    expect(problems({ summary })).toEqual([`Input summary ${JSON.stringify(summary)} is not a boolean; use true or false.`]);
  });

  it.each([
    ['backup', '1', /Input backup "1" is not a backup mode; use auto, true, false/],
    ['backup-format', 'tar', /Input backup-format "tar" is not a backup format; use custom or plain/],
    ['target-revision', 'v2', /Input target-revision "v2" is not a migration id/],
    ['target-revision', '-1', /Input target-revision "-1" counts back from the applied revision, which only command rollback does/],
    ['target-revision', '0', /Input target-revision "0" must be 1 or more/],
    ['migrations-dir', '   ', /Input migrations-dir is empty/],
  ])('rejects %s=%j', (name, value, message) => {
    const list = problems({ [name]: value });
    expect(list).toHaveLength(1);
    expect(list[0]).toMatch(message);
  });

  describe('rollback', () => {
    it.each([
      ['postgres-migrations', '3', { kind: 'revision', id: '3' }],
      ['postgres-migrations', '007', { kind: 'revision', id: '7' }],
      ['postgres-migrations', '0', { kind: 'base' }],
      ['postgres-migrations', '00', { kind: 'base' }],
      ['postgres-migrations', 'base', { kind: 'base' }],
      ['postgres-migrations', '-2', { kind: 'steps', count: 2 }],
      ['alembic', 'ae1027a6acf', { kind: 'revision', id: 'ae1027a6acf' }],
      ['alembic', 'base', { kind: 'base' }],
      ['dbmate', '-1', { kind: 'steps', count: 1 }],
      ['node-pg-migrate', '0', { kind: 'base' }],
    ])('engine %s reads target-revision %j as %j', (engine, target, expected) => {
      const config = parseConfig(raw({ command: 'rollback', engine, 'target-revision': target }), places);
      expect(config.rollback).toEqual(expected);
      // A native id as a number's text, as for every command.
      expect(config.targetRevision).toBe({ '007': '7', '00': '0' }[target] ?? target);
    });

    it('requires target-revision, and takes a backup by default (auto); backup false turns it off', () => {
      expect(problems({ command: 'rollback' })).toEqual([
        'Input target-revision is required for command rollback; set it to the revision to go back to (0 or base: nothing applied), or -1 to undo the last migration.',
      ]);
      expect(parseConfig(raw({ command: 'rollback', 'target-revision': '1' }), places).backup).toBeDefined();
      expect(parseConfig(raw({ command: 'rollback', 'target-revision': '1', backup: 'false' }), places).backup).toBeUndefined();
      // auto means none for apply; true still forces one.
      expect(parseConfig(raw({ backup: 'auto' }), places).backup).toBeUndefined();
      expect(parseConfig(raw({ backup: 'True' }), places).backup).toBeDefined();
    });

    it('refuses dry-run with any other command, pointing at plan', () => {
      expect(problems({ command: 'apply', 'dry-run': 'true' })).toEqual([
        'Input dry-run is only for command rollback; to see what apply would do without changing anything, use command plan.',
      ]);
      expect(parseConfig(raw({ command: 'rollback', 'target-revision': '-1', 'dry-run': 'true' }), places).dryRun).toBe(true);
    });

    it.each(['-0', '--1', '-1.5', '- 1', '-1234567'])('rejects target-revision %j', (target) => {
      expect(problems({ command: 'rollback', 'target-revision': target })[0]).toMatch(/^Input target-revision .* is not a migration id/);
    });

    it.each([
      ['7d', { kind: 'age', ms: 7 * 86_400_000 }],
      ['12h', { kind: 'age', ms: 12 * 3_600_000 }],
      ['2w', { kind: 'age', ms: 14 * 86_400_000 }],
      ['10', { kind: 'count', count: 10 }],
    ])('reads backup-retention %j', (value, expected) => {
      expect(parseConfig(raw({ backup: 'true', 'backup-retention': value }), places).backup?.retention).toMatchObject(expected);
    });

    it.each(['0', '0d', '7 days', '-1', '1.5d', 'all'])('rejects backup-retention %j', (value) => {
      expect(problems({ 'backup-retention': value })[0]).toMatch(/^Input backup-retention ".*" /);
    });
  });

  it('shortens a long value to one line in the message', () => {
    const [problem] = problems({ 'wait-timeout': `${'x'.repeat(100)}\nsecond line` });
    expect(problem).toBe(`Input wait-timeout "${'x'.repeat(57)}..." is not a whole number of seconds; use e.g. wait-timeout: 60.`);
  });

  it('requires target-revision for baseline', () => {
    expect(problems({ command: 'baseline' })).toEqual([
      'Input target-revision is required for command baseline; set it to the id of the last migration the database already has.',
    ]);
  });

  it('lists every bad input at once, each naming its input, in one ConfigError', () => {
    const bad = {
      command: 'z',
      'wait-timeout': 'x',
      'lock-wait-timeout': '-1',
      'lock-retries': '1.5',
      summary: 'maybe',
      'database-url': 'mysql://u:p@h/db',
      settings: 'nonsense',
      'migrations-dir': '',
    };
    const list = problems(bad);
    expect(list.map((p) => /^Input ([a-z-]+)/.exec(p)?.[1]).sort()).toEqual(Object.keys(bad).sort());
    let error: unknown;
    try {
      parseConfig(raw(bad), places);
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).toBe(list.join(' | '));
    expect((error as Error).message).not.toContain('\n');
  });
});

describe('settings', () => {
  it.each([
    ['lock_timeout', 'Input settings line 1 is not name=value; write e.g. lock_timeout=5s.'],
    ['=5s', 'Input settings line 1 has no valid setting name before "="; write a PostgreSQL parameter name such as lock_timeout=5s.'],
    ['lock timeout=5s', 'Input settings line 1 has no valid setting name before "="; write a PostgreSQL parameter name such as lock_timeout=5s.'],
    ['1abc=5', 'Input settings line 1 has no valid setting name before "="; write a PostgreSQL parameter name such as lock_timeout=5s.'],
    ['a.b.c=5', 'Input settings line 1 has no valid setting name before "="; write a PostgreSQL parameter name such as lock_timeout=5s.'],
    ['lock_timeout=', 'Input settings line 1 (lock_timeout) has an empty value; write e.g. lock_timeout=5s.'],
    ['lock_timeout =   ', 'Input settings line 1 (lock_timeout) has an empty value; write e.g. lock_timeout=5s.'],
    ['lock_timeout=1s\nLOCK_TIMEOUT=2s', 'Input settings line 2 sets LOCK_TIMEOUT a second time; keep one line per setting.'],
  ])('rejects %j', (settings, message) => {
    expect(problems({ settings })).toEqual([message]);
  });

  it('reports every bad line with its line number, CRLF or LF', () => {
    expect(problems({ settings: 'a=1\r\n\r\nbad\r\n# c\r\nb=\r\nc=3' })).toEqual([
      'Input settings line 3 is not name=value; write e.g. lock_timeout=5s.',
      'Input settings line 5 (b) has an empty value; write e.g. b=5s.',
    ]);
  });

  it('reads settings lines, skipping blanks and comments, CRLF or LF', () => {
    const config = parseConfig(
      raw({ settings: '# migrations\r\nlock_timeout = 5s\r\n\r\n   \n  # indented comment\nstatement_timeout=15min\r\nmyapp.flag=on\nsearch_path=a,b=c' }),
      places,
    );
    expect(config.settings).toEqual([
      { name: 'lock_timeout', value: '5s' },
      { name: 'statement_timeout', value: '15min' },
      { name: 'myapp.flag', value: 'on' },
      { name: 'search_path', value: 'a,b=c' },
    ]);
  });

  it('accepts no settings at all', () => {
    expect(parseConfig(raw({ settings: '\n# nothing\n\r\n' }), places).settings).toEqual([]);
  });
});

describe('database-url validation', () => {
  it.each([
    ['', /^Input database-url is empty: the secret is probably not available to this event \(a pull request from a fork/],
    ['   ', /^Input database-url is empty: the secret is probably not available to this event/],
    ['mysql://u:p@h/db', /^Input database-url has scheme "mysql:", which is not PostgreSQL; use postgres:\/\/user:password@host:5432\/database\.$/],
    ['https://u:p@h/db', /has scheme "https:", which is not PostgreSQL/],
    ['just-a-host', /^Input database-url is not a URL; use postgres:\/\/user:password@host:5432\/database\.$/],
    ['postgres:///db', /^Input database-url has no host; use postgres:\/\/user:password@host:5432\/database\.$/],
    ['postgres://u:p@/db', /has no host/],
    ['postgres://u:p@host:5432', /^Input database-url has no database name; add it after the host/],
    ['postgres://u:p@host:5432/', /has no database name/],
    ['postgres://u:p@host/?sslmode=require', /has no database name/],
    ['postgres://u:%zz@host/db', /^Input database-url has bad percent-encoding in the password; write each special character as % and two hex digits \(% itself as %25\)\.$/],
    ['postgres://u:50%@host/db', /has bad percent-encoding in the password/],
    ['postgres://u%zz:pw@host/db', /has bad percent-encoding in the user name/],
    ['postgres://u:pw@host/db%zz', /has bad percent-encoding in the database name/],
    ['postgres://u:pa/ss@host/db', /cannot be parsed as a URL; percent-encode special characters in the user name and password \(@ as %40, : as %3A, \/ as %2F, # as %23, % as %25\)/],
    ['postgres://u:1/2/3@host/db', /^Input database-url has a "\/" in the database name, so the password probably contains an unencoded "\/"; percent-encode special characters in the password \(\/ as %2F, @ as %40\)\.$/],
    ['postgres://u:p@host:99999/db', /cannot be parsed as a URL/],
    ['postgres://u:p w@host/db', /^Input database-url contains whitespace; remove it, or percent-encode it in the password \(a space is %20\)\.$/],
    ['postgres://u:p@host/my db', /contains whitespace/],
    ['postgres://u:p@host/db?sslmode=maybe', /^Input database-url has sslmode=maybe, which is not an SSL mode; use one of disable, allow, prefer, require, verify-ca, verify-full\.$/],
    ['postgres://u:p@host/db?sslmode=', /has sslmode=, which is not an SSL mode/],
    ['postgres://u:p@host/db?sslmode=no-verify', /^Input database-url has sslmode=no-verify, which is the pg driver's own word and not libpq's, so pg_dump rejects it; use sslmode=require/],
    ['postgres://u:p@host/db?ssl=true', /^Input database-url has ssl=…, which is the pg driver's own parameter \(libpq and pg_dump reject it\); use sslmode=require/],
  ])('rejects %j without showing the URL', (url, message) => {
    const list = problems({ 'database-url': url });
    expect(list).toHaveLength(1);
    expect(list[0]).toMatch(message);
    if (url.trim().length > 0) expect(list[0]).not.toContain(url);
  });

  it.each(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'])('accepts sslmode=%s', (mode) => {
    expect(parseConfig(raw({ 'database-url': `postgres://u:p@h/db?sslmode=${mode}` }), places).endpoint.database).toBe('db');
  });

  it('accepts a password with every URL-special character when encoded, and keeps it out of the endpoint', () => {
    for (const password of [PASSWORD, 'a@b', 'a:b', 'a/b', 'a%b', 'a#b', '@:/%#?&= ']) {
      const url = `postgresql://app:${encodeURIComponent(password)}@db.internal/shop`;
      const config = parseConfig(raw({ 'database-url': url }), places);
      expect(config.databaseUrl).toBe(url);
      expect(config.endpoint).toEqual({ user: 'app', host: 'db.internal', port: 5432, database: 'shop' });
    }
  });

  it('trims surrounding whitespace', () => {
    const config = parseConfig(raw({ 'database-url': `  ${URL_OK} \n` }), places);
    expect(config.databaseUrl).toBe(URL_OK);
  });

  it.each([
    URL_OK.replace(/\?.*$/, ''),
    'postgres://my%40user:x@[::1]:5433/my%40db',
    'postgres://u:x@db.internal/weird%2Fname',
    'postgres://u:x@db.internal/caf%C3%A9',
    'postgres://u:x@h1/db?host=/var/run/postgresql&port=6000',
    'postgres://u:x@h1/db?user=other',
    'postgres://u:x@h1:7000/db',
    'postgres://:x@h1/db?sslmode=verify-full',
  ])('describes %s as pg will connect to it', (url) => {
    const endpoint = parseConfig(raw({ 'database-url': url }), places).endpoint;
    const pgView = parsePg(url);
    expect(endpoint).toEqual({
      user: pgView.user || '(default user)',
      host: pgView.host,
      port: Number(pgView.port || 5432),
      database: pgView.database,
    });
  });

  it.each(['postgres://u:p@host:0/db', 'postgres://u:p@host/db?port=x', 'postgres://u:p@host/db?port=70000'])(
    'rejects the port of %s',
    (url) => {
      expect(problems({ 'database-url': url })).toEqual([
        'Input database-url has a port that is not a number from 1 to 65535; use e.g. postgres://user:password@host:5432/database.',
      ]);
    },
  );

  it('rejects an @ in the path: a password with an unencoded / that the parser took for host:port', () => {
    expect(problems({ 'database-url': 'postgres://app:2024/secret@db.example.com:5432' })).toEqual([
      'Input database-url has a "@" in the database name, so the password probably contains an unencoded "/"; percent-encode special characters in the password (/ as %2F, @ as %40).',
    ]);
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

describe('the password never appears in a message or the endpoint', () => {
  // Two distinctive halves around every character that needs encoding, so a partial leak is caught too.
  const HEAD = 'Kq7Vw';
  const TAIL = 'Zt9Lm';
  const secret = `${HEAD}@:/%#${TAIL}`;
  const passwords = [
    secret, // nothing encoded
    encodeURIComponent(secret), // properly encoded
    secret.replace('%', '%25'), // only % encoded
    `${HEAD}@${TAIL}`,
    `${HEAD}:${TAIL}`,
    `${HEAD}/${TAIL}`,
    `${HEAD}%zz${TAIL}`,
    `${HEAD}%${TAIL}`,
    `${HEAD}#${TAIL}`,
    `${HEAD}?${TAIL}`,
    `${HEAD} ${TAIL}`,
    `1234/${HEAD}${TAIL}`,
    `1234/${HEAD}@${TAIL}`,
    `1234#${HEAD}${TAIL}`,
  ];
  const templates = [
    (pw: string) => `postgres://app:${pw}@db.internal:5432/shop`,
    (pw: string) => `postgres://app:${pw}@db.internal:5432`,
    (pw: string) => `postgres://app:${pw}@db.internal`,
    (pw: string) => `postgres://app:${pw}@/shop`,
    (pw: string) => `postgres://app:${pw}@db.internal/shop?sslmode=bogus`,
    (pw: string) => `postgresql://app:${pw}@db.internal:99999/shop`,
    (pw: string) => `mysql://app:${pw}@db.internal/shop`,
    (pw: string) => `app:${pw}@db.internal/shop`,
    (pw: string) => pw,
    (pw: string) => `${pw}@db.internal/shop`,
  ];
  const cases = templates.flatMap((template) => passwords.map((pw) => [template(pw)] as const));

  it.each(cases)('%s', (url) => {
    let accepted: ReturnType<typeof parseConfig> | undefined;
    let list: string[] = [];
    try {
      accepted = parseConfig(raw({ 'database-url': url }), places);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      list = [...(error as ConfigError).problems];
    }
    const shown = accepted ? JSON.stringify(accepted.endpoint) : list.join('\n');
    for (const part of [HEAD, TAIL, encodeURIComponent(secret)]) expect(shown).not.toContain(part);
    if (!accepted) {
      expect(list).toHaveLength(1);
      expect(list[0]).toMatch(/^Input database-url /);
    }
  });
});

describe('secret forms', () => {
  it('covers the password as written, decoded and re-encoded, and the whole URL', () => {
    const forms = secretForms(URL_OK);
    expect(forms).toEqual(expect.arrayContaining([URL_OK, PASSWORD, encodeURIComponent(PASSWORD), new URL(URL_OK).password]));
  });

  it('covers the form the URL serializer writes, which leaves some characters unencoded', () => {
    const password = "it's!*(x)";
    const forms = secretForms(`postgres://u:${encodeURIComponent(password)}@h/db`);
    expect(forms).toContain(password);
    const serialized = new URL('postgres://u@h/db');
    serialized.password = password;
    expect(forms).toContain(serialized.password);
  });

  it('covers an untrimmed URL as given and trimmed', () => {
    const forms = secretForms(`  ${URL_OK}\n`);
    expect(forms).toEqual(expect.arrayContaining([`  ${URL_OK}\n`, URL_OK, PASSWORD]));
  });

  it('works on malformed URLs: an unencoded @ or / or bad % in the password', () => {
    expect(secretForms('postgres://u:p@ss/w@host/db')).toEqual(expect.arrayContaining(['p@ss/w', 'p%40ss%2Fw']));
    expect(secretForms('postgres://u:pa/ss@host/db')).toEqual(expect.arrayContaining(['pa/ss', 'pa%2Fss']));
    expect(secretForms('postgres://u:%zzsecret@host/db')).toEqual(expect.arrayContaining(['%zzsecret', '%25zzsecret']));
    expect(secretForms('postgres://u:50%@host/db')).toContain('50%');
    expect(secretForms('postgres://u:a:b:c@host/db')).toEqual(expect.arrayContaining(['a:b:c', 'a%3Ab%3Ac']));
  });

  it('covers the password when the query string holds an @ too', () => {
    const forms = secretForms('postgres://u:Pw1234567@host/db?application_name=me@ci');
    expect(forms).toContain('Pw1234567');
  });

  it('covers a password given as ?password=, which pg reads', () => {
    const forms = secretForms('postgres://u@host/db?password=Qw%2Ferty1234');
    expect(forms).toEqual(expect.arrayContaining(['Qw/erty1234', 'Qw%2Ferty1234']));
    expect(parsePg('postgres://u@host/db?password=Qw%2Ferty1234').password).toBe('Qw/erty1234');
  });

  it('has only the URL when there is no password, and nothing for an empty input', () => {
    expect(secretForms('postgres://u@host/db')).toEqual(['postgres://u@host/db']);
    expect(secretForms('postgres://host/db')).toEqual(['postgres://host/db']);
    expect(secretForms('')).toEqual([]);
    expect(secretForms('  \n')).toEqual([]);
  });

  it('lists longer forms first, without empty ones', () => {
    const forms = secretForms(URL_OK);
    expect(forms.every((form, i) => i === 0 || forms[i - 1]!.length >= form.length)).toBe(true);
    expect(forms).not.toContain('');
  });

  it('redacts every occurrence of every form', () => {
    const forms = secretForms(URL_OK);
    const encoded = encodeURIComponent(PASSWORD);
    expect(redact(`url ${URL_OK} pw ${PASSWORD} enc ${encoded}; again ${PASSWORD}${PASSWORD} and ${encoded}`, forms)).toBe(
      'url *** pw *** enc ***; again ****** and ***',
    );
  });

  it('redacts nothing when there are no secrets, and ignores empty ones', () => {
    expect(redact('plain text', [])).toBe('plain text');
    expect(redact('plain text', [''])).toBe('plain text');
  });
});

describe('settings never show a value that may be secret', () => {
  it('names the line, not its text, when it cannot be parsed', () => {
    for (const settings of ['app.jwt secret=Sup3rSecretValue-that-is-long', 'Sup3rSecretValue-that-is-long', 'app.jwt_secret=']) {
      expect(problems({ settings }).join(' ')).not.toMatch(/Sup3r/);
    }
  });

  it('logs the values of plain settings only', () => {
    expect(describeSettings([
      { name: 'lock_timeout', value: '5s' },
      { name: 'search_path', value: 'app, public' },
      { name: 'app.jwt_secret', value: 'Sup3r' },
      { name: 'myapp.api_key', value: 'k' },
    ])).toBe('lock_timeout=5s, search_path=app, public, app.jwt_secret (value not shown), myapp.api_key (value not shown)');
  });
});

describe('sslrootcert=system, as libpq 16 means it', () => {
  it('defaults to verify-full and refuses a weaker sslmode', () => {
    expect(tlsSettings('postgres://u:p@h/db?sslrootcert=system').mode).toBe('verify-full');
    expect(tlsSettings('postgres://u:p@h/db').mode).toBe('prefer');
    expect(problems({ 'database-url': 'postgres://u:p@h/db?sslrootcert=system&sslmode=require' })).toEqual([
      "Input database-url has sslmode=require with sslrootcert=system, which libpq refuses (the system's CAs only make sense with verify-full); use sslmode=verify-full or leave sslmode out.",
    ]);
    expect(parseConfig(raw({ 'database-url': 'postgres://u:p@h/db?sslrootcert=system&sslmode=verify-full' }), places).endpoint.host).toBe('h');
  });
});
