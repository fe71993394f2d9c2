import os from 'node:os';
import { TOKEN_VARIABLES } from '../cli/args.js';
import type { FileLocation } from '../errors.js';
import type { InputName } from '../inputs.js';
import type { Platform } from './types.js';

export interface CliEnvironment {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Whether stdout is a terminal (colours allowed unless NO_COLOR). */
  readonly tty: boolean;
  write(line: string): void;
  writeError(line: string): void;
  /** Seconds since the epoch, for GitLab section markers. */
  now(): number;
  /** Aborted when the process is asked to stop (SIGTERM, SIGINT). */
  readonly signal?: AbortSignal;
}

/**
 * The connection URL from the libpq variables, for setups that keep PGPASSWORD apart from the rest.
 * Empty when none of PGHOST, PGUSER, PGDATABASE is set. Pure.
 */
export function urlFromLibpqEnv(env: NodeJS.ProcessEnv): string {
  if (!env.PGHOST && !env.PGUSER && !env.PGDATABASE) return '';
  const enc = encodeURIComponent;
  const user = env.PGUSER || os.userInfo().username;
  const password = env.PGPASSWORD ? `:${enc(env.PGPASSWORD)}` : '';
  const host = env.PGHOST || 'localhost';
  const socket = host.startsWith('/');
  const port = env.PGPORT || '5432';
  const params = new URLSearchParams();
  if (socket) params.set('host', host);
  if (socket) params.set('port', port);
  if (env.PGSSLMODE) params.set('sslmode', env.PGSSLMODE);
  if (env.PGSSLROOTCERT) params.set('sslrootcert', env.PGSSLROOTCERT);
  if (env.PGSSLCERT) params.set('sslcert', env.PGSSLCERT);
  if (env.PGSSLKEY) params.set('sslkey', env.PGSSLKEY);
  const query = params.size > 0 ? `?${params.toString()}` : '';
  const authority = socket ? '' : `${host.includes(':') ? `[${host}]` : host}:${port}`;
  return `postgres://${enc(user)}${password}@${authority}/${enc(env.PGDATABASE || user)}${query}`;
}

/**
 * Text as the CLI prints it: control characters other than line breaks are shown as `?`, so that a
 * file name or a server's message cannot draw GitLab's collapsible sections (ESC …section_start…),
 * move the cursor or rewrite a line. Pure.
 */
export function inert(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f\u009b]/g, '?');
}

const SECTION = (name: string) => `migrate_${name.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '')}`.slice(0, 60);

/** The CLI platform: flags and environment in; lines on stdout; GitLab log sections when in GitLab CI. */
export function cliPlatform(flags: Partial<Record<InputName, string>>, io: CliEnvironment): Platform {
  const gitlab = io.env.GITLAB_CI === 'true';
  const colour = io.tty && !io.env.NO_COLOR && !gitlab;
  const paint = (code: string, text: string) => (colour ? `\u001b[${code}m${text}\u001b[0m` : text);
  let printedError: string | undefined;
  // file:line:column: in front, as compilers print it, unless the message names the file itself.
  const at = (location: FileLocation | undefined, message: string) =>
    location && !message.includes(location.file)
      ? `${location.file}${location.line === undefined ? '' : `:${location.line}`}${location.column === undefined ? '' : `:${location.column}`}: `
      : '';
  return {
    env: io.env,
    forge: gitlab
      ? { name: 'gitlab', tokenInput: 'gitlab-token (GITLAB_TOKEN)' }
      : io.env.GITHUB_ACTIONS === 'true'
        ? { name: 'github', tokenInput: 'GITHUB_TOKEN' }
        : undefined,
    workspace: io.cwd, // a GitLab job starts in CI_PROJECT_DIR
    tempDir: os.tmpdir(),
    emptyDatabaseUrlHint:
      'set --database-url, or DATABASE_URL, or the libpq variables PGHOST, PGUSER, PGPASSWORD and PGDATABASE (in GitLab: a masked CI/CD variable; check that it is not limited to protected branches or another environment)',
    getInput(name) {
      const value = flags[name];
      if (value !== undefined) return value;
      if (name === 'database-url') return io.env.DATABASE_URL || urlFromLibpqEnv(io.env);
      // A secret too: from the environment, so that it stays out of argv.
      if (name === 'shadow-database-url') return io.env.SHADOW_DATABASE_URL ?? '';
      // The comment's tokens: never flags (argv is visible to every process on the machine).
      if (name === 'github-token' || name === 'gitlab-token') return io.env[TOKEN_VARIABLES[name]] ?? '';
      return '';
    },
    mask: () => undefined, // there is no runner to mask for us: main redacts every line itself
    info: (message) => io.write(inert(message)),
    warning: (message, location) => io.writeError(`${paint('33', 'warning:')} ${at(location, message)}${inert(message)}`),
    error(message, location) {
      printedError = message;
      io.writeError(`${paint('31', 'error:')} ${at(location, message)}${inert(message)}`);
    },
    async group(title, fn) {
      const id = SECTION(title);
      if (gitlab) io.write(`\u001b[0Ksection_start:${io.now()}:${id}[collapsed=false]\r\u001b[0K${inert(title)}`);
      else io.write(paint('1', `== ${inert(title)}`));
      try {
        return await fn();
      } finally {
        if (gitlab) io.write(`\u001b[0Ksection_end:${io.now()}:${id}\r\u001b[0K`);
      }
    },
    setOutput: () => undefined, // the CLI's results are its log's last line and the --dotenv report
    writeSummary: async () => undefined, // the CLI prints its own result block
    fail(message, location) {
      if (printedError !== message) io.writeError(`${paint('31', 'error:')} ${at(location, message)}${inert(message)}`);
    },
  };
}
