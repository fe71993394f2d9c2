import path from 'node:path';
import * as z from 'zod/mini';
import { UserError } from './errors.js';
import { SSL_MODES } from './db/tls.js';
import { BACKUP_FORMATS, BACKUP_MODES, COMMANDS, ENGINES, LINT_MODES, type InputName } from './inputs.js';
import { parseRetention, type Retention } from './migrations/retention.js';

export type Command = (typeof COMMANDS)[number];
export type EngineName = (typeof ENGINES)[number];

/** Where we connect, without the password: safe to log. */
export interface Endpoint {
  readonly user: string;
  readonly host: string;
  readonly port: number;
  readonly database: string;
}

export interface Setting {
  readonly name: string;
  readonly value: string;
}

export type BackupFormat = (typeof BACKUP_FORMATS)[number];

export interface BackupConfig {
  /** Absolute directory for dumps. */
  readonly dir: string;
  readonly format: BackupFormat;
  /** Explicit pg_dump; undefined = search PATH and /usr/lib/postgresql. */
  readonly pgDumpPath?: string;
  /** Older dumps of the same database to remove after a successful one; undefined = keep everything. */
  readonly retention?: Retention;
}

/**
 * Where a rollback goes: `base` (nothing applied: target-revision 0 or base), `steps` (-N: the last N
 * applied), or `revision` (the engine's id of the migration that stays the latest applied).
 */
export type RollbackTarget =
  | { readonly kind: 'base' }
  | { readonly kind: 'steps'; readonly count: number }
  | { readonly kind: 'revision'; readonly id: string };

/** Where each engine's program is found (read by that engine only). */
export interface EngineTools {
  /** alembic: the interpreter, as given (a name on PATH, or a path resolved against the workspace). */
  readonly python: string;
  /** alembic: absolute path of alembic.ini. */
  readonly alembicConfig: string;
  /** alembic-config as the user wrote it, for messages. */
  readonly alembicConfigLabel: string;
  /** node-pg-migrate, dbmate: the program; undefined = the engine's usual place. */
  readonly enginePath?: string;
}

export interface Config {
  readonly command: Command;
  readonly engine: EngineName;
  /** The last migration to apply, plan or baseline, as the engine names it; undefined = the last one. */
  readonly targetRevision?: string;
  /** rollback: target-revision, parsed; undefined for the other commands. */
  readonly rollback?: RollbackTarget;
  /** rollback: only say what would be undone (no lock, no change). */
  readonly dryRun: boolean;
  /** The advisory lock key, a bigint as text. */
  readonly lockKey: string;
  readonly tools: EngineTools;
  /** Absolute: where relative paths were resolved, and the engines' working directory. */
  readonly workspace: string;
  /** Undefined when no backup is taken (input backup false, or auto for a command other than rollback). */
  readonly backup?: BackupConfig;
  /** The secret. Never log it; log `endpoint` instead. */
  readonly databaseUrl: string;
  readonly endpoint: Endpoint;
  /**
   * plan and check: an empty throwaway database that the target's schema is copied into, and the pending
   * statements run on, one by one, in one transaction that is rolled back (review/shadow.ts). The URL is
   * a secret like databaseUrl.
   */
  readonly shadow?: { readonly url: string; readonly endpoint: Endpoint; readonly pgDumpPath?: string };
  /** Absolute path of the migrations directory. */
  readonly migrationsDir: string;
  /** The directory as the user wrote it, for messages and annotations. */
  readonly migrationsDirLabel: string;
  readonly lockWaitTimeoutMs: number;
  readonly waitTimeoutMs: number;
  readonly settings: readonly Setting[];
  readonly lockRetries: number;
  readonly summary: boolean;
  /** The review: findings are warnings, errors (the run stops before anything changes), or not looked for. */
  readonly lint: (typeof LINT_MODES)[number];
  /**
   * plan and check on a pull or merge request: post the plan there as one comment (src/comment/), with
   * the platform's token (secrets like databaseUrl). Undefined when input comment is false.
   */
  readonly comment?: { readonly githubToken: string; readonly gitlabToken: string };
}

export type RawInputs = Readonly<Record<InputName, string>>;

/** Bad inputs, all of them at once; each problem names its input, the value and the fix. */
export class ConfigError extends UserError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.join(' | '));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** node-pg-migrate 9's own advisory lock key (its --lock-value default). */
const NODE_PG_MIGRATE_LOCK_KEY = 7_241_865_325_823_964n;

/** The `migrations.id` column is an `integer`. */
export const MAX_MIGRATION_ID = 2_147_483_647;
const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;
const TRUE = ['true', 'True', 'TRUE'];
const FALSE = ['false', 'False', 'FALSE'];

// zod/mini: the same validation engine as zod's classic API with a fraction of its load time (measured
// by `npm run bench`: ~9 ms instead of ~18 ms of every run).
const boolean = z.pipe(
  z.string().check(
    z.trim(),
    z.refine((v) => TRUE.includes(v) || FALSE.includes(v), { message: 'is not a boolean; use true or false' }),
  ),
  z.transform((v: string) => TRUE.includes(v)),
);

/** A whole number of seconds (or count) in [0, max]; the message names the input and shows an example. */
function wholeNumber(input: InputName, max: number, unit: string, example: string) {
  return z.pipe(
    z.pipe(
      z.string().check(z.trim(), z.regex(/^\d+$/, { message: `is not a whole number of ${unit}; use e.g. ${input}: ${example}` })),
      z.transform(Number),
    ),
    z.number().check(z.maximum(max, { message: `is above the maximum of ${max} ${unit}` })),
  );
}

const schemas = {
  command: z.enum(COMMANDS, {
    message: `is not a command; use one of ${COMMANDS.join(', ')}`,
  }),
  engine: z.enum(ENGINES, { message: `is not a supported engine; use one of ${ENGINES.join(', ')}` }),
  'lock-key': z.string().check(
    z.trim(),
    z.regex(/^-?\d{1,19}$/, { message: 'is not a bigint; use a whole number such as 123456' }),
    z.refine((v) => !/^-?\d{1,19}$/.test(v) || (BigInt(v) >= -(2n ** 63n) && BigInt(v) < 2n ** 63n), { message: 'is outside the bigint range (-9223372036854775808 to 9223372036854775807)' }),
  ),
  'lock-wait-timeout': wholeNumber('lock-wait-timeout', 86_400, 'seconds', '300'),
  'wait-timeout': wholeNumber('wait-timeout', 3_600, 'seconds', '60'),
  'lock-retries': wholeNumber('lock-retries', 100, 'retries', '3'),
  summary: boolean,
  comment: boolean,
  backup: z.pipe(
    z.string().check(
      z.trim(),
      z.refine((v) => (BACKUP_MODES as readonly string[]).includes(v.toLowerCase()), { message: `is not a backup mode; use ${BACKUP_MODES.join(', ')}` }),
    ),
    z.transform((v: string) => v.toLowerCase() as (typeof BACKUP_MODES)[number]),
  ),
  'dry-run': boolean,
  lint: z.enum(LINT_MODES, { message: `is not a lint mode; use ${LINT_MODES.join(', ')}` }),
  'backup-format': z.enum(BACKUP_FORMATS, { message: `is not a backup format; use ${BACKUP_FORMATS.join(' or ')}` }),
  'target-revision': z.pipe(
    z.string().check(
      z.trim(),
      z.regex(/^(|-[1-9][0-9]{0,5}|[A-Za-z0-9][A-Za-z0-9_.-]{0,254})$/, {
        message: "is not a migration id; use the engine's id of a migration (postgres-migrations: the number at the start of a file name, e.g. 12), or for rollback 0, base or -N",
      }),
    ),
    z.transform((v: string) => (v === '' ? undefined : v)),
  ),
};

/** Show a value in a message: quoted, shortened, single line. Never called with the database URL. */
function show(value: string): string {
  const flat = value.replace(/\s+/g, ' ');
  return JSON.stringify(flat.length > 60 ? `${flat.slice(0, 57)}...` : flat);
}

/**
 * Parse the raw input strings into a frozen Config, before any I/O. Throws ConfigError listing every
 * bad input.
 */
export interface Places {
  /** Where relative paths are resolved (the checkout). */
  readonly workspace: string;
  /** The runner's temporary directory: default home of backups. */
  readonly tempDir: string;
  /** Replaces the GitHub-specific advice when database-url is empty. */
  readonly emptyDatabaseUrlHint?: string;
}

export function parseConfig(raw: RawInputs, places: Places): Config {
  const { workspace } = places;
  const problems: string[] = [];

  const field = <S extends z.ZodMiniType>(input: keyof typeof schemas & InputName, schema: S): z.output<S> | undefined => {
    const result = schema.safeParse(raw[input]);
    if (result.success) return result.data;
    problems.push(`Input ${input} ${show(raw[input])} ${result.error.issues[0]?.message ?? 'is invalid'}.`);
    return undefined;
  };

  const command = field('command', schemas.command);
  const engine = field('engine', schemas.engine);
  const lockKey = field('lock-key', schemas['lock-key']);
  const lockWait = field('lock-wait-timeout', schemas['lock-wait-timeout']);
  const wait = field('wait-timeout', schemas['wait-timeout']);
  const lockRetries = field('lock-retries', schemas['lock-retries']);
  const summary = field('summary', schemas.summary);
  const comment = field('comment', schemas.comment);
  const targetRevision = field('target-revision', schemas['target-revision']);
  const backup = field('backup', schemas.backup);
  const backupFormat = field('backup-format', schemas['backup-format']);
  const dryRun = field('dry-run', schemas['dry-run']);
  const lint = field('lint', schemas.lint);
  const retentionText = raw['backup-retention'].trim();
  const retention = parseRetention(retentionText);
  if (typeof retention === 'string') problems.push(`Input backup-retention ${show(retentionText)} ${retention}.`);
  const rollback = command === 'rollback' && targetRevision !== undefined ? rollbackTarget(targetRevision) : undefined;
  if (command === 'rollback' && targetRevision === undefined && raw['target-revision'].trim() === '') {
    problems.push(
      'Input target-revision is required for command rollback; set it to the revision to go back to (0 or base: nothing applied), or -1 to undo the last migration.',
    );
  }
  if (command !== undefined && command !== 'rollback' && targetRevision?.startsWith('-')) {
    problems.push(`Input target-revision ${show(targetRevision)} counts back from the applied revision, which only command rollback does; use a migration id.`);
  }
  if (dryRun === true && command !== undefined && command !== 'rollback') {
    problems.push(`Input dry-run is only for command rollback; to see what ${command} would do without changing anything, use command plan.`);
  }
  // postgres-migrations' ids are numbers (the migrations.id column): checked here with the other inputs.
  // Other engines' ids are checked against their files.
  if (engine === 'postgres-migrations' && targetRevision !== undefined && !targetRevision.startsWith('-') && (rollback === undefined || rollback.kind === 'revision')) {
    const id = /^\d+$/.test(targetRevision) ? Number(targetRevision) : NaN;
    if (Number.isNaN(id)) {
      problems.push(`Input target-revision ${show(targetRevision)} is not a migration id; use the number at the start of a file name, e.g. 12.`);
    } else if (id < 1 && command !== 'rollback') {
      problems.push(`Input target-revision ${show(targetRevision)} must be 1 or more (0 means no migration).`);
    } else if (id > MAX_MIGRATION_ID) {
      problems.push(
        `Input target-revision ${show(targetRevision)} is larger than any migration id can be (ids are at most ${MAX_MIGRATION_ID}, the integer column's limit).`,
      );
    }
  }
  // node-pg-migrate takes this key itself: holding it, we would make it fail ("Another migration is already running").
  if (engine === 'node-pg-migrate' && lockKey !== undefined && BigInt(lockKey) === NODE_PG_MIGRATE_LOCK_KEY) {
    problems.push(
      `Input lock-key ${lockKey} is node-pg-migrate's own lock key, which it takes itself while it runs; leave lock-key at its default, or use your application's own key.`,
    );
  }
  if (command === 'baseline' && raw['target-revision'].trim() === '') {
    problems.push('Input target-revision is required for command baseline; set it to the id of the last migration the database already has.');
  }

  const endpoint = parseDatabaseUrl(raw['database-url'], problems, places.emptyDatabaseUrlHint);
  const shadowUrl = raw['shadow-database-url'].trim();
  const shadowEndpoint = shadowUrl === '' ? undefined : parseDatabaseUrl(shadowUrl, problems, undefined, 'shadow-database-url');
  const settings = parseSettings(raw.settings, problems);

  const dirLabel = raw['migrations-dir'].trim();
  if (dirLabel === '') {
    problems.push('Input migrations-dir is empty; set it to the directory that holds the migration files, e.g. migrations.');
  }

  const python = raw.python.trim();
  if (python === '') problems.push('Input python is empty; set it to the interpreter that has Alembic installed, e.g. python3 or .venv/bin/python.');
  const alembicConfig = raw['alembic-config'].trim();
  if (alembicConfig === '') problems.push('Input alembic-config is empty; set it to your Alembic configuration file, e.g. alembic.ini.');

  if (problems.length > 0) throw new ConfigError(problems);

  const enginePath = raw['engine-path'].trim();
  const backupDir = raw['backup-dir'].trim();
  const pgDumpPath = raw['pg-dump-path'].trim();
  return Object.freeze({
    command: command!,
    engine: engine!,
    // As a number's text for postgres-migrations (`007` is 7), as given for the other engines.
    targetRevision:
      engine === 'postgres-migrations' && targetRevision !== undefined && /^\d+$/.test(targetRevision) ? String(Number(targetRevision)) : targetRevision,
    rollback: nativeIds(rollback, engine!),
    dryRun: dryRun!,
    lockKey: BigInt(lockKey!).toString(),
    tools: Object.freeze({
      // A bare name is looked up on PATH (an activated virtualenv's python first), a path from the workspace.
      python: python.includes('/') ? path.resolve(workspace, python) : python,
      alembicConfig: path.resolve(workspace, alembicConfig),
      alembicConfigLabel: alembicConfig,
      enginePath: enginePath === '' ? undefined : enginePath.includes('/') ? path.resolve(workspace, enginePath) : enginePath,
    }),
    workspace: path.resolve(workspace),
    // auto: a rollback usually drops something, so it is backed up; apply is not, as before.
    backup:
      backup === 'true' || (backup === 'auto' && command === 'rollback')
      ? Object.freeze({
          dir: backupDir === '' ? path.join(places.tempDir, 'migrate-backups') : path.resolve(workspace, backupDir),
          format: backupFormat!,
          pgDumpPath: pgDumpPath === '' ? undefined : path.resolve(workspace, pgDumpPath),
          retention: typeof retention === 'object' ? retention : undefined,
        })
      : undefined,
    databaseUrl: raw['database-url'].trim(),
    endpoint: endpoint!,
    shadow:
      shadowEndpoint === undefined
        ? undefined
        : Object.freeze({ url: shadowUrl, endpoint: shadowEndpoint, pgDumpPath: pgDumpPath === '' ? undefined : path.resolve(workspace, pgDumpPath) }),
    migrationsDir: path.resolve(workspace, dirLabel),
    migrationsDirLabel: dirLabel,
    lockWaitTimeoutMs: lockWait! * 1000,
    waitTimeoutMs: wait! * 1000,
    settings: Object.freeze(settings),
    lockRetries: lockRetries!,
    summary: summary!,
    lint: lint!,
    comment: comment ? Object.freeze({ githubToken: raw['github-token'].trim(), gitlabToken: raw['gitlab-token'].trim() }) : undefined,
  });
}

/** postgres-migrations' ids are numbers: `007` is 7, `00` is none. Pure. */
function nativeIds(target: RollbackTarget | undefined, engine: EngineName): RollbackTarget | undefined {
  if (target?.kind !== 'revision' || engine !== 'postgres-migrations') return target;
  const id = Number(target.id);
  return id === 0 ? { kind: 'base' } : { kind: 'revision', id: String(id) };
}

/** target-revision for rollback: `0` and `base` mean nothing applied, `-N` the last N. Pure. */
export function rollbackTarget(value: string): RollbackTarget {
  if (value === '0' || value === 'base') return { kind: 'base' };
  if (/^-\d+$/.test(value)) return { kind: 'steps', count: Number(value.slice(1)) };
  return { kind: 'revision', id: value };
}

/** Validate the URL without ever putting it (or its password) in a message. */
export function parseDatabaseUrl(value: string, problems: string[], emptyHint?: string, input = 'database-url'): Endpoint | undefined {
  const text = value.trim();
  const fail = (why: string) => {
    problems.push(`Input ${input} ${why}.`);
    return undefined;
  };
  if (text === '') {
    if (emptyHint) return fail(`is empty: ${emptyHint}`);
    return fail(
      'is empty: the secret is probably not available to this event (a pull request from a fork, or an environment ' +
        'secret read by a job without that environment); pass it as database-url: ${{ secrets.DATABASE_URL }} ' +
        'from a workflow and event that can read it',
    );
  }
  // Only something followed by :// is shown as a scheme: a secret holding just `password:more` must not be echoed.
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(text)?.[1];
  if (scheme === undefined) {
    return fail('is not a URL; use postgres://user:password@host:5432/database');
  }
  if (!['postgres', 'postgresql'].includes(scheme.toLowerCase())) {
    return fail(`has scheme "${scheme.slice(0, 20)}:", which is not PostgreSQL; use postgres://user:password@host:5432/database`);
  }
  if (/\s/.test(text)) {
    return fail('contains whitespace; remove it, or percent-encode it in the password (a space is %20)');
  }
  let url: URL;
  // libpq allows user@/db?host=/socket/dir (no host before the path); WHATWG URL does not.
  const noHost = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*@(?=[/?#]|$)/.test(text);
  try {
    url = new URL(noHost ? text.replace(/@(?=[/?#]|$)/, '@localhost') : text);
  } catch {
    return fail(
      'cannot be parsed as a URL; percent-encode special characters in the user name and password ' +
        '(@ as %40, : as %3A, / as %2F, # as %23, % as %25)',
    );
  }
  const decode = (part: string, what: string): string | undefined => {
    try {
      return decodeURIComponent(part);
    } catch {
      fail(`has bad percent-encoding in the ${what}; write each special character as % and two hex digits (% itself as %25)`);
      return undefined;
    }
  };
  const user = decode(url.username, 'user name');
  const password = decode(url.password, 'password');
  const rawDatabase = url.pathname.replace(/^\//, '');
  if (user === undefined || password === undefined || decode(rawDatabase, 'database name') === undefined) return undefined;
  // As pg (pg-connection-string) reads it: decodeURI, so %2F or %40 stay as written.
  const database = decodeURI(rawDatabase);

  // pg lets ?host=, ?port= and ?user= override the URL's own parts; describe what it will connect to.
  const query = (name: string) => url.searchParams.get(name) || '';
  const host = query('host') || (noHost ? '' : url.hostname.replace(/^\[|\]$/g, ''));
  if (host === '') {
    return fail('has no host; use postgres://user:password@host:5432/database');
  }
  if (database === '' || database.includes('/') || database.includes('@')) {
    return fail(
      database === ''
        ? 'has no database name; add it after the host, e.g. postgres://user:password@host:5432/app'
        : `has a "${database.includes('/') ? '/' : '@'}" in the database name, so the password probably contains an unencoded "/"; ` +
            'percent-encode special characters in the password (/ as %2F, @ as %40)',
    );
  }
  const sslmode = url.searchParams.get('sslmode');
  if (sslmode === 'no-verify') {
    return fail(
      "has sslmode=no-verify, which is the pg driver's own word and not libpq's, so pg_dump rejects it; use sslmode=require " +
        '(encrypted, certificate not checked), or verify-full with sslrootcert',
    );
  }
  if (sslmode !== null && !(SSL_MODES as readonly string[]).includes(sslmode)) {
    return fail(`has sslmode=${sslmode.slice(0, 20)}, which is not an SSL mode; use one of ${SSL_MODES.join(', ')}`);
  }
  if (url.searchParams.get('sslrootcert') === 'system' && sslmode !== null && sslmode !== 'verify-full') {
    return fail(`has sslmode=${sslmode} with sslrootcert=system, which libpq refuses (the system's CAs only make sense with verify-full); use sslmode=verify-full or leave sslmode out`);
  }
  const ssl = url.searchParams.get('ssl');
  if (ssl !== null) {
    return fail(
      'has ssl=…, which is the pg driver\'s own parameter (libpq and pg_dump reject it); use sslmode=require to encrypt, or sslmode=verify-full with sslrootcert to also verify the server',
    );
  }
  const port = Number(query('port') || url.port || 5432);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    return fail('has a port that is not a number from 1 to 65535; use e.g. postgres://user:password@host:5432/database');
  }
  return { user: query('user') || user || '(default user)', host, port, database };
}

/**
 * Settings whose values PostgreSQL documents as plain configuration (timeouts, paths, roles, memory,
 * formats): only these are shown in the log. Any other setting (e.g. app.jwt_secret) is named without
 * its value.
 */
const PLAIN_SETTINGS = new Set([
  'application_name', 'check_function_bodies', 'client_encoding', 'client_min_messages', 'datestyle',
  'default_statistics_target', 'default_tablespace', 'default_transaction_isolation', 'default_transaction_read_only',
  'extra_float_digits', 'idle_in_transaction_session_timeout', 'idle_session_timeout', 'intervalstyle', 'lc_messages',
  'lock_timeout', 'log_min_duration_statement', 'maintenance_io_concurrency', 'maintenance_work_mem',
  'max_parallel_maintenance_workers', 'role', 'search_path', 'statement_timeout', 'synchronous_commit', 'temp_buffers',
  'temp_tablespaces', 'timezone', 'transaction_timeout', 'work_mem',
]);

/** The settings as the log shows them: `name=value` for plain settings, the name alone for others. Pure. */
export function describeSettings(settings: readonly Setting[]): string {
  return settings.map(({ name, value }) => (PLAIN_SETTINGS.has(name.toLowerCase()) ? `${name}=${value}` : `${name} (value not shown)`)).join(', ');
}

/** `name=value` lines; blank lines and `#` comments are ignored. */
export function parseSettings(value: string, problems: string[]): Setting[] {
  const settings: Setting[] = [];
  const seen = new Set<string>();
  value.split(/\r?\n/).forEach((line, index) => {
    const text = line.trim();
    if (text === '' || text.startsWith('#')) return;
    // A settings line may hold a secret (app.jwt_secret=…): a message names its line and, once it is
    // known to be one, the setting's name, never the text.
    const where = `Input settings line ${index + 1}`;
    const eq = text.indexOf('=');
    if (eq < 0) {
      problems.push(`${where} is not name=value; write e.g. lock_timeout=5s.`);
      return;
    }
    const name = text.slice(0, eq).trim();
    const settingValue = text.slice(eq + 1).trim();
    if (!SETTING_NAME.test(name)) {
      problems.push(`${where} has no valid setting name before "="; write a PostgreSQL parameter name such as lock_timeout=5s.`);
    } else if (settingValue === '') {
      problems.push(`${where} (${name}) has an empty value; write e.g. ${name}=5s.`);
    } else if (seen.has(name.toLowerCase())) {
      problems.push(`${where} sets ${name} a second time; keep one line per setting.`);
    } else {
      seen.add(name.toLowerCase());
      settings.push({ name, value: settingValue });
    }
  });
  return settings;
}
