/**
 * The one list of inputs and outputs. `action.yml` must agree with it (a unit test compares them), and the
 * config parser reads exactly these names.
 */
export interface InputSpec {
  readonly name: string;
  readonly description: string;
  /** Default as the runner would pass it; `undefined` = no default. */
  readonly default?: string;
  readonly required?: boolean;
  /** For GitLab's typed `spec:inputs` (strings when absent). */
  readonly type?: 'number' | 'boolean';
  /** The only values allowed (GitLab `options`). */
  readonly options?: readonly string[];
  /** A pattern the value must match (GitLab `regex`); the config parser checks the same thing. */
  readonly regex?: string;
  /**
   * An input of one platform only: `action` (action.yml) or `component` (templates/migrate.yml). Neither
   * is a CLI flag: both are tokens, which the CLI takes from its environment (a flag would be in argv).
   */
  readonly only?: 'action' | 'component';
  /** The default in action.yml, where the runner evaluates it (`${{ github.token }}`); `default` elsewhere. */
  readonly actionDefault?: string;
}

export const COMMANDS = ['apply', 'plan', 'check', 'baseline', 'status', 'rollback'] as const;
export const ENGINES = ['postgres-migrations', 'alembic', 'node-pg-migrate', 'dbmate'] as const;
/** postgres-migrations' own advisory lock key: the default for every engine. */
export const DEFAULT_LOCK_KEY = '-8525285245963000605';
export const BACKUP_FORMATS = ['custom', 'plain'] as const;
export const BACKUP_MODES = ['auto', 'true', 'false'] as const;
export const LINT_MODES = ['warn', 'error', 'off'] as const;

export const INPUTS = [
  {
    name: 'database-url',
    description:
      'PostgreSQL connection URL, postgres://user:password@host:port/database?sslmode=... Pass it from a secret; it is masked before anything is logged.',
    required: true,
  },
  {
    name: 'command',
    description:
      'What to do: apply (run pending migrations), plan (read-only: list what apply would run), check (plan that fails when anything is pending or drifted), baseline (record the migrations up to target-revision as applied without running them), status (read-only: list applied and pending migrations; exits 0), rollback (undo the applied migrations above target-revision, latest first, with their down files).',
    default: 'apply',
    options: COMMANDS,
  },
  {
    name: 'engine',
    description:
      "The migration tool: postgres-migrations (built in), alembic, node-pg-migrate or dbmate (the job's own installation of it).",
    default: 'postgres-migrations',
    options: ENGINES,
  },
  {
    name: 'migrations-dir',
    description:
      "Directory of migration files, relative to the workspace (postgres-migrations: <id>_<name>.sql or .js; node-pg-migrate and dbmate: their files; alembic: not used, see alembic-config).",
    default: 'migrations',
  },
  {
    name: 'target-revision',
    description:
      "Apply (or plan) only up to and including this migration, by the engine's id (postgres-migrations: the number; alembic: the revision; dbmate: the version; node-pg-migrate: the file name without extension); later ones stay pending. Required for baseline. Empty = the latest. Required for rollback: the revision to go back to (0 or base: nothing applied), or -N to undo the last N.",
    default: '',
    regex: '^(|-[1-9][0-9]{0,5}|[A-Za-z0-9][A-Za-z0-9_.-]{0,254})$',
  },
  {
    name: 'backup',
    description:
      "Take a pg_dump of the database before changing it, only when there is something to change: auto (a backup for rollback, none for apply), true or false. In the GitLab component it is a string: quote it (backup: 'true').",
    default: 'auto',
    options: BACKUP_MODES,
  },
  {
    name: 'backup-retention',
    description:
      'After a successful backup, remove older dumps of the same database in backup-dir that migrate-action named (never other files): 7d keeps a week (also 12h, 2w), 10 keeps the last ten. Only when a backup is taken. Empty = keep everything.',
    default: '',
    regex: '^(|[1-9][0-9]{0,5}[hdw]?)$',
  },
  {
    name: 'dry-run',
    description:
      'rollback only: list what would be undone, with each down SQL and what it drops, without taking the lock or changing anything (true or false). For apply, use command plan.',
    default: 'false',
    type: 'boolean',
  },
  {
    name: 'backup-dir',
    description:
      'Directory for the dump files; empty = <runner temp dir>/migrate-backups. Created with mode 0700 when missing (an existing one keeps its mode); each dump is 0600.',
    default: '',
  },
  {
    name: 'backup-format',
    description: 'pg_dump format: custom (restore with pg_restore) or plain (SQL, restore with psql).',
    default: 'custom',
    options: BACKUP_FORMATS,
  },
  {
    name: 'pg-dump-path',
    description:
      'Path of the pg_dump to use for backups; empty = the first pg_dump at least as new as the server, on PATH or in /usr/lib/postgresql/*/bin.',
    default: '',
  },
  {
    name: 'lock-wait-timeout',
    description:
      "Seconds to wait for another run's migration lock before failing; 0 fails at once if the lock is held.",
    default: '300',
    type: 'number',
  },
  {
    name: 'wait-timeout',
    description: 'Seconds to wait for the database to accept connections (connection refused, starting up, DNS).',
    default: '60',
    type: 'number',
  },
  {
    name: 'settings',
    description:
      'Session settings for the migrations, one name=value per line (e.g. lock_timeout=5s, statement_timeout=15min).',
    default: '',
  },
  {
    name: 'lock-retries',
    description: 'How many times to retry a migration that failed on lock_timeout (SQLSTATE 55P03), with backoff.',
    default: '0',
    type: 'number',
  },
  {
    name: 'lock-key',
    description:
      "The advisory lock key (a bigint) held for the whole run. The default is postgres-migrations' key, the same for every engine, so everything migrate-action runs on one database is serialised; set it to share an application's own key (e.g. the one it takes around alembic upgrade head on start-up).",
    default: DEFAULT_LOCK_KEY,
    regex: '^-?[0-9]{1,19}$',
  },
  {
    name: 'python',
    description: 'alembic: the Python interpreter that has Alembic and your project installed (e.g. .venv/bin/python, relative to the workspace, or a name on PATH).',
    default: 'python3',
  },
  {
    name: 'alembic-config',
    description: "alembic: the Alembic configuration file, relative to the workspace; its script_location and env.py are used as `alembic -c` would.",
    default: 'alembic.ini',
  },
  {
    name: 'engine-path',
    description:
      'node-pg-migrate and dbmate: the program to run; empty = node_modules/.bin/node-pg-migrate in the workspace, or dbmate on PATH.',
    default: '',
  },
  {
    name: 'lint',
    description:
      "The review of pending statements (plan, check and apply): warn (findings are warnings and summary rows; the run goes on), error (findings fail plan and check, and stop apply before anything changes) or off. A comment -- migrate-action:ignore <rule> <reason> on the line before a statement silences that rule for it.",
    default: 'warn',
    options: LINT_MODES,
  },
  {
    name: 'shadow-database-url',
    description:
      "plan and check: the URL of an empty throwaway database (e.g. the job's postgres service) of the same PostgreSQL major version. The target's schema is copied into it (pg_dump --schema-only) and the pending statements run there one by one, as the deploy would run them: each predicted lock and rewrite is marked confirmed or mismatch, and a migration that fails on the copy fails the plan. Refused when it is the target database itself or not empty; emptied again after the run. A secret, masked like database-url. Empty = no shadow run.",
    default: '',
  },
  {
    name: 'comment',
    description:
      'plan and check on a pull request (GitHub) or merge request (GitLab): post the plan (pending migrations with their SQL, what each statement locks, review findings, drift or the failure) as one comment per migrations directory and database, updated in place on every push; it says so when nothing is pending any more (true or false). Needs github-token or gitlab-token. Other events and commands post nothing; a refused token is a warning, never a failure.',
    default: 'false',
    type: 'boolean',
  },
  {
    name: 'github-token',
    description:
      'The token the comment is posted with; the default, the workflow token, needs permissions: pull-requests: write (a pull request from a fork gets a read-only one: a warning, the plan stays in the summary). CLI: GITHUB_TOKEN.',
    default: '',
    actionDefault: '${{ github.token }}',
    only: 'action',
  },
  {
    name: 'gitlab-token',
    description:
      'The token the comment is posted with, from a masked CI/CD variable (gitlab-token: $PLAN_COMMENT_TOKEN): a project or personal access token with the api scope and at least the Reporter role (the job token cannot write notes). CLI: GITLAB_TOKEN.',
    default: '',
    only: 'component',
  },
  {
    name: 'summary',
    description: 'Write the job summary (true or false).',
    default: 'true',
    type: 'boolean',
  },
] as const satisfies readonly InputSpec[];

export type InputName = (typeof INPUTS)[number]['name'];

export const OUTPUTS = [
  {
    name: 'status',
    description:
      'applied, up-to-date (nothing to do), pending (plan, check and status: something would be applied; a rollback dry run: something would be undone), baselined, rolled-back or failed.',
  },
  {
    name: 'revision',
    description:
      "The engine's id of the latest applied migration after the run (Alembic: the revision, heads joined by a space; dbmate: the version; node-pg-migrate: the name). When none is applied: 0 for postgres-migrations, empty for the other engines.",
  },
  { name: 'revision-name', description: "Name of that migration (e.g. create-users; Alembic: the revision's message); empty when none." },
  { name: 'previous-revision', description: 'The revision before the run.' },
  { name: 'applied-count', description: 'How many migrations this run applied.' },
  { name: 'applied', description: 'JSON array of the file names this run applied (the first 1,000; applied-count is exact).' },
  { name: 'pending-count', description: 'How many migrations are still pending after the run.' },
  { name: 'pending', description: 'JSON array of the file names still pending after the run (the first 1,000; pending-count is exact).' },
  { name: 'rolled-back-count', description: 'How many migrations this run rolled back.' },
  {
    name: 'rolled-back',
    description: 'JSON array of the file names this run rolled back, the latest first (the first 1,000; rolled-back-count is exact).',
  },
  { name: 'backup-path', description: 'The dump file; empty when none was taken.' },
  { name: 'findings-count', description: 'How many review findings the pending statements have (silenced ones not counted); 0 when none or lint is off.' },
  {
    name: 'findings',
    description: 'JSON array of the review findings: rule, file, line, statement, message (the first 1,000; silenced ones not listed); [] when none or lint is off.',
  },
  {
    name: 'error',
    description: 'One-line message when the run failed (status failed, or check found something pending); empty otherwise.',
  },
] as const satisfies readonly { name: string; description: string }[];

export type OutputName = (typeof OUTPUTS)[number]['name'];
