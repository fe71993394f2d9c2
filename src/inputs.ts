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
}

export const INPUTS = [
  {
    name: 'database-url',
    description:
      'PostgreSQL connection URL, postgres://user:password@host:port/database?sslmode=... Pass it from a secret; it is masked before anything is logged.',
    required: true,
  },
  {
    name: 'command',
    description: 'What to do: apply (run pending migrations).',
    default: 'apply',
  },
  {
    name: 'migrations-dir',
    description: 'Directory of migration files (<id>_<name>.sql or .js), relative to the workspace.',
    default: 'migrations',
  },
  {
    name: 'lock-wait-timeout',
    description:
      "Seconds to wait for another run's migration lock before failing; 0 fails at once if the lock is held.",
    default: '300',
  },
  {
    name: 'wait-timeout',
    description: 'Seconds to wait for the database to accept connections (connection refused, starting up, DNS).',
    default: '60',
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
  },
  {
    name: 'summary',
    description: 'Write the job summary (true or false).',
    default: 'true',
  },
] as const satisfies readonly InputSpec[];

export type InputName = (typeof INPUTS)[number]['name'];

export const OUTPUTS = [
  { name: 'status', description: 'applied, up-to-date or failed.' },
  { name: 'revision', description: 'Id of the latest applied migration after the run; 0 when none.' },
  { name: 'revision-name', description: 'Name of that migration (e.g. create-users); empty when none.' },
  { name: 'previous-revision', description: 'The revision before the run.' },
  { name: 'applied-count', description: 'How many migrations this run applied.' },
  { name: 'applied', description: 'JSON array of the file names this run applied.' },
  { name: 'pending-count', description: 'How many migrations are still pending after the run.' },
  { name: 'pending', description: 'JSON array of the file names still pending after the run.' },
  { name: 'backup-path', description: 'The dump file; empty when none was taken.' },
  { name: 'error', description: 'One-line message when status is failed; empty otherwise.' },
] as const satisfies readonly { name: string; description: string }[];

export type OutputName = (typeof OUTPUTS)[number]['name'];
