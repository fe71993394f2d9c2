import { COMMANDS, INPUTS, type InputName } from '../inputs.js';

/** Bad command-line usage: exit code 2, one line naming the flag. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type CliRequest =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | {
      readonly kind: 'run';
      readonly inputs: Partial<Record<InputName, string>>;
      /** Where to write the dotenv report, if asked. */
      readonly dotenv?: string;
      /** Where to write the review's findings as a GitLab Code Quality report, if asked. */
      readonly codeQuality?: string;
    };

/**
 * An argument as a usage error may show it: anything that looks like a connection URL (a scheme, or a
 * user@host part) is replaced, so that a URL given in the wrong place is not printed with its password.
 * Pure.
 */
export function shownArgument(arg: string): string {
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(arg) || /:[^/]*@/.test(arg) || /%[0-9A-Fa-f]{2}/.test(arg) || /password\s*=/i.test(arg)) {
    return '<a connection URL, not shown>';
  }
  return JSON.stringify(arg.length > 60 ? `${arg.slice(0, 57)}...` : arg);
}

/** Flags that may stand alone (meaning true), with the values they take when one follows. */
const BOOLEAN_INPUTS = new Map<InputName, readonly string[]>([
  ['backup', ['true', 'false', 'auto']],
  ['summary', ['true', 'false']],
  ['dry-run', ['true', 'false']],
  ['comment', ['true', 'false']],
]);
/** Every input is a flag but command (the positional argument) and the tokens of one platform. */
const INPUT_FLAGS = new Set<string>(INPUTS.filter((i) => !('only' in i)).map((i) => i.name).filter((name) => name !== 'command'));
/** The tokens come from the environment: a flag would put one in argv, which every process can read. */
export const TOKEN_VARIABLES: Readonly<Record<'github-token' | 'gitlab-token', string>> = { 'github-token': 'GITHUB_TOKEN', 'gitlab-token': 'GITLAB_TOKEN' };

/**
 * Parse `migrate-action <command> [--flag value | --flag=value]...`. Every action input is a flag of the
 * same name; `--settings` may be repeated (one setting each); boolean flags may stand alone. Pure.
 */
export function parseArgs(argv: readonly string[]): CliRequest {
  const inputs: Partial<Record<InputName, string>> = {};
  const settings: string[] = [];
  let dotenv: string | undefined;
  let codeQuality: string | undefined;
  let command: string | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return { kind: 'help' };
    if (arg === '--version' || arg === '-V') return { kind: 'version' };
    if (!arg.startsWith('--')) {
      if (command !== undefined) throw new UsageError(`unexpected argument ${shownArgument(arg)}: give one command (${COMMANDS.join(', ')})`);
      if (!(COMMANDS as readonly string[]).includes(arg)) {
        throw new UsageError(`unknown command ${shownArgument(arg)}: use one of ${COMMANDS.join(', ')}`);
      }
      command = arg;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const values = BOOLEAN_INPUTS.get(name as InputName);
    let value: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
    if (value === undefined) {
      const next = argv[i + 1];
      if (values && (next === undefined || next.startsWith('--') || !values.includes(next))) {
        value = 'true';
      } else if (next === undefined || (next.startsWith('--') && next.length > 2)) {
        throw new UsageError(`flag ${shownArgument(`--${name}`)} needs a value`);
      } else {
        value = next;
        i += 1;
      }
    }
    if (name === 'dotenv') {
      dotenv = value;
    } else if (name === 'code-quality') {
      codeQuality = value;
    } else if (name === 'settings') {
      settings.push(value);
    } else if (name in TOKEN_VARIABLES) {
      throw new UsageError(`--${name} is not taken on the command line, where every process on the machine could read it; set ${TOKEN_VARIABLES[name as keyof typeof TOKEN_VARIABLES]} in the environment`);
    } else if (INPUT_FLAGS.has(name)) {
      inputs[name as InputName] = value;
    } else {
      throw new UsageError(`unknown flag ${shownArgument(`--${name}`)}; see migrate-action --help`);
    }
  }
  if (command === undefined) throw new UsageError(`no command: use migrate-action <${COMMANDS.join('|')}> [flags]; see --help`);
  inputs.command = command;
  if (settings.length > 0) inputs.settings = settings.join('\n');
  return { kind: 'run', inputs, dotenv, codeQuality };
}

/** --help: every flag with its default, from the same manifest as action.yml. */
export function helpText(version: string): string {
  const lines = [
    `migrate-action ${version}: apply PostgreSQL migrations (postgres-migrations, alembic, node-pg-migrate or dbmate) under an advisory lock.`,
    '',
    `Usage: migrate-action <${COMMANDS.join('|')}> [flags]`,
    '',
    'Connection: --database-url, else DATABASE_URL, else the libpq variables PGHOST, PGPORT, PGUSER,',
    'PGPASSWORD, PGDATABASE, PGSSLMODE (so a masked PGPASSWORD can stay apart from the rest).',
    'Shadow database (plan, check): --shadow-database-url, else SHADOW_DATABASE_URL.',
    'Comment (plan, check with --comment): GITLAB_TOKEN in a GitLab merge request pipeline, GITHUB_TOKEN in a',
    'GitHub pull request workflow.',
    '',
    'Flags:',
  ];
  const width = Math.max(...INPUTS.map((i) => i.name.length), 'dotenv FILE'.length) + 4;
  for (const input of INPUTS) {
    if (input.name === 'command' || 'only' in input) continue;
    const def = 'default' in input ? (input.default === '' ? '' : ` (default: ${input.default})`) : '';
    lines.push(`  --${input.name.padEnd(width)}${input.description}${def}`);
  }
  lines.push(`  --${'dotenv FILE'.padEnd(width)}Also write the results as MIGRATE_* lines to FILE (GitLab's dotenv report).`);
  lines.push(`  --${'code-quality FILE'.padEnd(width)}Also write the review's findings to FILE as a GitLab Code Quality report.`);
  lines.push(`  --${'help'.padEnd(width)}Show this help.`);
  lines.push(`  --${'version'.padEnd(width)}Show the version.`);
  lines.push('', 'Exit codes: 0 success (also up-to-date); 1 failure, or check with something pending; 2 bad usage.');
  return lines.join('\n');
}
