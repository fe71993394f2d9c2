import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Config } from '../config.js';
import { UserError, listed } from '../errors.js';
import {
  appliedNow,
  howItEnded,
  indexOfPosition,
  isFileEntry,
  lineAt,
  programFromInput,
  readMigrationText,
  readMigrationsDir,
  realProgram,
  recorded,
  reportApplied,
  revisionText,
  runTool,
  scrubbed,
  stateAfter,
} from './tools.js';
import { linearUndo, sectionHasStatements } from './rollback.js';
import {
  EngineFailed,
  type AppliedRecord,
  type Engine,
  type EngineContext,
  type EngineDeps,
  type EngineMigration,
  type EngineRevision,
  type EngineState,
  type SpawnResult,
} from './types.js';

/*
 * node-pg-migrate 9, driven through its own CLI in the job's installation. The rules below are read from
 * its source (node_modules/node-pg-migrate/dist/legacy/{migration,sqlMigration,runner,migrationLoader}.js,
 * utils/{fileNameUtils,comparators}.js, bin/node-pg-migrate.js) and checked against 9.0.0:
 * - files: every entry of the directory that is a file or a link and does not match its ignore pattern
 *   `^\..*`; `.sql` is SQL, anything else is imported as a module (so a README.md breaks it);
 * - name (the row in pgmigrations) = basename without the extension;
 * - order: numeric prefix (17 digits = a UTC timestamp to the millisecond), then localeCompare with
 *   numeric collation, ignoring punctuation;
 * - state: public.pgmigrations(id, name, run_on), applied = ORDER BY run_on, id; check-order requires the
 *   applied names to be the first files, in order;
 * - `up N` runs the first N not applied, all in one transaction (`--single-transaction` is the default).
 */

const TOOL = 'node-pg-migrate';
/** Where `npm install node-pg-migrate` puts its program, relative to the workspace. */
const DEFAULT_BIN = 'node_modules/.bin/node-pg-migrate';
const TABLE_SCHEMA = 'public';
const TABLE = 'pgmigrations';
const MIN_MAJOR = 7;
/** Its own advisory lock key (runner.js PG_MIGRATE_LOCK_ID): held by any node-pg-migrate run. */
const OWN_LOCK_KEY = '7241865325823964';
/** Extensions it imports as modules (migrationLoader.js getDefaultStrategies); `.sql` is read as SQL. */
const MODULE_EXTENSIONS = ['.js', '.ts', '.cjs', '.mjs', '.cts', '.mts'];
/** `name varchar(255)` in pgmigrations. */
const MAX_NAME = 255;

/** One file node-pg-migrate would load. */
interface MigrationFile {
  /** The basename without its extension: what pgmigrations records. */
  readonly name: string;
  readonly fileName: string;
  readonly label: string;
  readonly kind: 'sql' | 'js';
  /** `.sql` only: the file's text, and where the Up section it runs starts in it. */
  readonly text?: string;
  readonly upStart?: number;
  readonly up?: string;
  /** `.sql` only: the Down section `down` runs (undefined when there is none: node-pg-migrate refuses then), and where it starts. */
  readonly down?: string;
  readonly downStart?: number;
  /** A module that exports `down = false`: node-pg-migrate refuses to undo it. */
  readonly downDisabled?: boolean;
}

/** sqlMigration.js: `-- Up Migration` / `-- Down Migration`, any case, any number of dashes. */
const marker = (direction: 'up' | 'down') => new RegExp(`^\\s*--[\\s-]*${direction}\\s+migration`, 'im');
const UP_MARKER = marker('up');
const DOWN_MARKER = marker('down');

/**
 * The SQL node-pg-migrate runs for `up`, exactly as sqlMigration.js cuts it: from the match of the Up
 * marker (which may start on a blank line before it: `^\s*` crosses lines) to the Down marker when that
 * comes later, else to the end; the whole file when there is no Up marker. Pure.
 */
export function upSection(text: string): { start: number; sql: string } {
  const up = text.search(UP_MARKER);
  const down = text.search(DOWN_MARKER);
  if (up < 0) return { start: 0, sql: text };
  return { start: up, sql: text.slice(up, down < up ? undefined : down) };
}

/**
 * The SQL node-pg-migrate runs for `down`, as sqlMigration.js cuts it: from the Down marker to the Up
 * marker when that comes later, else to the end; undefined without a Down marker (node-pg-migrate then
 * says "User has disabled down migration"). Pure.
 */
export function downSection(text: string): { start: number; sql: string } | undefined {
  const up = text.search(UP_MARKER);
  const down = text.search(DOWN_MARKER);
  if (down < 0) return undefined;
  return { start: down, sql: text.slice(down, up < down ? undefined : up) };
}

/**
 * Whether a JavaScript or TypeScript migration exports `down = false` (node-pg-migrate's way to say it
 * cannot be undone), as written in its source: `exports.down = false`, `export const down = false`,
 * `down: false` in an exported object. Without a `down`, node-pg-migrate reverses `up`. Pure.
 */
export function disablesDown(source: string): boolean {
  return /(?:\bexports\.down|\bexport\s+(?:const|let|var)\s+down|\bdown)\s*[=:]\s*false\b/.test(source);
}

/**
 * fileNameUtils.js getNumericPrefix: the leading digits as a number; 17 digits are a UTC time
 * (YYYYMMDDhhmmssSSS) as milliseconds. Undefined when the name has no leading digit. Pure.
 */
export function numericPrefix(fileName: string): number | undefined {
  const prefix = /^\d+/.exec(fileName)?.[0];
  if (prefix === undefined) return undefined;
  if (prefix.length !== 17) return Number(prefix);
  const [y, mo, d, h, mi, s, ms] = [prefix.slice(0, 4), prefix.slice(4, 6), prefix.slice(6, 8), prefix.slice(8, 10), prefix.slice(10, 12), prefix.slice(12, 14), prefix.slice(14, 17)];
  return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`).valueOf();
}

/** comparators.js compareMigrationFileNames, on file names with their extensions. Pure. */
export function compareFileNames(a: string, b: string): number {
  return (
    numericPrefix(a)! - numericPrefix(b)! ||
    a.localeCompare(b, undefined, { usage: 'sort', numeric: true, sensitivity: 'variant', ignorePunctuation: true })
  );
}

/** Read and check the directory the way node-pg-migrate 9 loads it; errors name the file and the fix. */
function loadFiles(dir: string, dirLabel: string): MigrationFile[] {
  const entries = readMigrationsDir(dir, dirLabel).filter((entry) => (entry.isFile() || entry.isSymbolicLink()) && !entry.name.startsWith('.'));
  if (entries.length === 0) {
    throw new UserError(
      `migrations-dir "${dirLabel}" has no migration files; add node-pg-migrate files such as 1_create-users.sql or 1_create-users.js, ` +
        'or point migrations-dir at the directory that holds them.',
    );
  }
  const files: MigrationFile[] = [];
  for (const entry of entries) {
    const fileName = entry.name;
    const label = `${dirLabel}/${fileName}`;
    const location = { file: label };
    if (/[\n\r\u2028\u2029]/.test(fileName)) {
      throw new UserError(`Migration file name ${JSON.stringify(fileName)} in ${dirLabel} contains a line break; rename it.`);
    }
    if (!isFileEntry(dir, entry)) {
      throw new UserError(`${label} is a link that does not lead to a file, and node-pg-migrate would try to load it; remove it or rename it to start with a dot.`, {
        location,
      });
    }
    const extension = path.extname(fileName).toLowerCase();
    if (extension !== '.sql' && !MODULE_EXTENSIONS.includes(extension)) {
      throw new UserError(
        `${label} is not a migration (.sql, .js, .ts, .cjs, .mjs, .cts or .mts), but node-pg-migrate loads every file of its directory ` +
          'that does not start with a dot: move it out of the directory or rename it to start with a dot.',
        { location },
      );
    }
    const name = path.basename(fileName, path.extname(fileName));
    if ([...name].length > MAX_NAME) {
      throw new UserError(`Migration file ${label} has a name of more than ${MAX_NAME} characters, which pgmigrations.name cannot hold; shorten it.`, { location });
    }
    if (name.includes("'")) {
      // runner.js writes the name into its INSERT between quotes, unescaped: the statement would break.
      throw new UserError(`Migration file ${label} has a quote (') in its name, which node-pg-migrate puts unescaped into SQL; rename it.`, { location });
    }
    if (extension !== '.sql') {
      files.push({ name, fileName, label, kind: 'js', downDisabled: disablesDown(readMigrationText(path.join(dir, fileName), label)) });
      continue;
    }
    const text = readMigrationText(path.join(dir, fileName), label);
    const { start, sql } = upSection(text);
    const down = downSection(text);
    files.push({ name, fileName, label, kind: 'sql', text, upStart: start, up: sql, down: down?.sql, downStart: down?.start });
  }
  // With two files or more, its sort reads every file's numeric prefix and fails on a name without one.
  if (files.length > 1) {
    const unnumbered = files.find((file) => numericPrefix(file.fileName) === undefined);
    if (unnumbered) {
      throw new UserError(
        `Migration file ${unnumbered.label} does not start with a number, which node-pg-migrate orders its files by; ` +
          'rename it with a prefix that sorts it in place, e.g. a timestamp like 1700000000000_ or an index like 0004_.',
        { location: { file: unnumbered.label } },
      );
    }
  }
  files.sort((a, b) => compareFileNames(a.fileName, b.fileName));
  for (let i = 1; i < files.length; i += 1) {
    if (files[i]!.name === files[i - 1]!.name) {
      throw new UserError(
        `Migration files ${files[i - 1]!.fileName} and ${files[i]!.fileName} in ${dirLabel} have the same name "${files[i]!.name}" (node-pg-migrate records the name without the extension); rename one.`,
        { location: { file: files[i]!.label } },
      );
    }
  }
  return files;
}

/** The version in the package.json of the node-pg-migrate package that holds `program`, found without running it. */
function packageOf(program: string): { version: string; dir: string } | undefined {
  let dir = path.dirname(realProgram(program));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const json = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
        if (json.name === TOOL && typeof json.version === 'string') return { version: json.version, dir };
      } catch {
        // Not readable JSON: keep looking further up.
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The revision node-pg-migrate is at: its last applied name (the name is the id; no second name). */
function revisionOf(applied: readonly AppliedRecord[]): EngineRevision {
  const last = applied[applied.length - 1];
  return last ? { id: last.id, name: '' } : { id: '', name: '', none: true };
}

/**
 * runner.js checkOrder: the applied names, in the order they ran, must be the first files in file
 * order. Returns the problem as a message, or undefined. Pure.
 */
function orderProblem(applied: readonly AppliedRecord[], files: readonly MigrationFile[], dirLabel: string): { message: string; file?: string } | undefined {
  const appliedNames = new Set(applied.map((record) => record.id));
  for (let i = 0; i < Math.min(applied.length, files.length); i += 1) {
    const ran = applied[i]!.id;
    const file = files[i]!;
    if (ran === file.name) continue;
    const refusal = `node-pg-migrate refuses to run ("Not run migration ${file.name} is preceding already run migration ${ran}")`;
    if (!appliedNames.has(file.name)) {
      return {
        message:
          `Migration file ${file.label} is not applied but sorts before ${ran}, which is: ${refusal}. ` +
          'Rename it so that it sorts after the last applied migration (a later number or timestamp).',
        file: file.label,
      };
    }
    if (!files.some((f) => f.name === ran)) {
      return {
        message: `${TABLE_SCHEMA}.${TABLE} records ${ran} as applied, but ${dirLabel} has no file of that name where it ran (before ${file.fileName}): ${refusal}. Restore its file.`,
      };
    }
    return {
      message: `${TABLE_SCHEMA}.${TABLE} records the migrations in another order than ${dirLabel} sorts them (${ran} ran where ${file.fileName} sorts): ${refusal}. Rename the files to match the order they ran in.`,
      file: file.label,
    };
  }
  return undefined;
}

/** What node-pg-migrate printed about its failure. Pure. */
export function parseFailure(result: Pick<SpawnResult, 'stdout' | 'stderr'>, direction: 'UP' | 'DOWN' = 'UP'): {
  migration?: string;
  message?: string;
  code?: string;
  position?: number;
  lockHeld: boolean;
  /** How many migrations it announced (it prints a migration's line once its SQL is built, before running it). */
  done: number;
} {
  const runs = [...result.stdout.matchAll(direction === 'UP' ? /^### MIGRATION (.+) \(UP\) ###$/gm : /^### MIGRATION (.+) \(DOWN\) ###$/gm)];
  const migration = runs[runs.length - 1]?.[1];
  const done = runs.length;
  // The CLI prints the error it ends with last (console.error of the error object): its first line is
  // `error: <message>` for a database error, `Error: <message>` (or `TypeError: ...`) for the others.
  const headers = [...result.stderr.matchAll(/^(?:[A-Za-z]*Error|error)(?: \[[A-Z0-9_]+\])?: (.*)$/gm)];
  const header = headers[headers.length - 1];
  const rest = header ? result.stderr.slice(header.index! + header[0].length) : '';
  const code = /^\s+code: '([0-9A-Z]{5})'/m.exec(rest)?.[1];
  const position = /^\s+position: '(\d+)'/m.exec(rest)?.[1];
  const message = header?.[1];
  return {
    migration,
    message,
    code,
    position: position === undefined ? undefined : Number(position),
    lockHeld: /Another migration is already running/.test(result.stderr),
    done,
  };
}

/**
 * node-pg-migrate as an engine: its files, its table, its own CLI to apply (`up N`) and to baseline
 * (`up N --fake`). State is read with plain SELECTs on the run's connection; nothing is created.
 */
export function nodePgMigrateEngine(config: Config, deps: EngineDeps): Engine {
  let files: MigrationFile[] = [];
  const byName = new Map<string, MigrationFile>();
  let program = '';
  let programLabel = '';

  const toMigration = (file: MigrationFile): EngineMigration =>
    file.kind === 'sql'
      ? { id: file.name, name: file.name, fileName: file.fileName, label: file.label, sql: file.up, sqlLine: lineAt(file.text!, file.upStart!), transaction: true }
      : { id: file.name, name: file.name, fileName: file.fileName, label: file.label, sqlNote: 'a JavaScript migration: its SQL is known only when it runs' };

  function findProgram(): string {
    if (config.tools.enginePath !== undefined) return programFromInput(config.tools.enginePath, deps.env);
    const bin = path.join(config.workspace, DEFAULT_BIN);
    if (!existsSync(bin)) {
      throw new UserError(
        `node-pg-migrate is not installed in the workspace (${DEFAULT_BIN}): run npm install node-pg-migrate pg in the job before this step, or set input engine-path.`,
      );
    }
    return bin;
  }

  /** The version, read from its package.json; a program outside a package (a wrapper script) is taken as it is. */
  function checkInstallation(): string {
    const found = packageOf(program);
    if (!found) return 'version unknown';
    const major = Number(/^(\d+)\./.exec(found.version)?.[1]);
    if (!(major >= MIN_MAJOR)) {
      throw new UserError(`node-pg-migrate ${found.version} (${programLabel}) is too old: migrate-action needs ${MIN_MAJOR} or later; run npm install node-pg-migrate@9.`);
    }
    try {
      // It imports pg (a peer dependency) when it starts: resolving it now turns a crash into advice.
      createRequire(path.join(found.dir, 'package.json')).resolve('pg');
    } catch {
      throw new UserError(`node-pg-migrate (${programLabel}) is installed but its peer dependency pg is not; run npm install pg in the job before this step.`);
    }
    return found.version;
  }

  /** Applied rows and pending files, without the order check. */
  async function read(ctx: EngineContext): Promise<EngineState> {
    const { client } = ctx;
    const { rows: present } = await client.query<{ found: boolean }>(`SELECT to_regclass('${TABLE_SCHEMA}.${TABLE}') IS NOT NULL AS found`);
    let applied: AppliedRecord[] = [];
    if (present[0]?.found) {
      // run_on is a timestamp without time zone written with NOW() in node-pg-migrate's session: read in
      // ours (the same server default time zone), it becomes the instant it was.
      const { rows } = await client.query<{ name: string; applied_at: Date | null }>(
        `SELECT name, run_on::timestamptz AS applied_at FROM ${TABLE_SCHEMA}.${TABLE} ORDER BY run_on, id`,
      );
      applied = rows.map((row) => ({
        id: row.name,
        name: row.name,
        fileName: byName.get(row.name)?.fileName ?? row.name,
        appliedAt: row.applied_at ? row.applied_at.toISOString() : undefined,
      }));
    }
    const done = new Set(applied.map((record) => record.id));
    return { revision: revisionOf(applied), applied, pending: files.filter((file) => !done.has(file.name)).map(toMigration) };
  }

  /** `up N` or `down N` on our directory and table (N is never 0: `down 0` means all). */
  function runnerArgs(direction: 'up' | 'down', count: number, extra: readonly string[]): string[] {
    if (count < 1) throw new Error(`node-pg-migrate ${direction} needs a count of 1 or more, not ${count}`);
    return [
      direction,
      String(count),
      ...extra,
      '--migrations-dir',
      config.migrationsDir,
      '--migrations-schema',
      TABLE_SCHEMA,
      '--migrations-table',
      TABLE,
      // The statements are not echoed: the files are in the repository, and the log stays readable.
      '--no-verbose',
    ];
  }

  /**
   * `down N --dry-run` without node-pg-migrate's lock, on read-only sessions: whether it can build every
   * down of `toUndo` (the latest first). Returns the first that it cannot, with its words; undefined when
   * all can be.
   */
  async function probeDown(ctx: EngineContext, toUndo: readonly EngineMigration[]): Promise<string | undefined> {
    const result = await runTool(
      ctx,
      {
        tool: TOOL,
        program,
        args: runnerArgs('down', toUndo.length, ['--no-single-transaction', '--dry-run', '--no-lock']),
        cwd: config.workspace,
        env: { DATABASE_URL: ctx.engineUrl({ uselibpqcompat: 'true' }, { readOnly: true }) },
        quiet: true,
      },
      programLabel,
    );
    if (result.code === 0) return undefined;
    const parsed = parseFailure(result, 'DOWN');
    // It prints a migration's line once its down is built: the first without one is where it stopped.
    const failing = toUndo[parsed.done];
    const said = parsed.message === undefined ? `it ended with ${howItEnded(result)}` : scrubbed(parsed.message);
    return `${failing?.label ?? 'one of them'} (node-pg-migrate cannot undo it: ${said})`;
  }

  /** The failure of an `up` run, in one line, after telling the frame what is applied now. */
  function failure(result: SpawnResult, toRun: readonly EngineMigration[], done: readonly EngineMigration[], after: EngineState, what: string): UserError {
    const now = appliedNow(toRun, done, after);
    if (result.signal !== null) {
      return new EngineFailed(`node-pg-migrate was stopped (${howItEnded(result)}) while ${what}: ${now}.`);
    }
    const parsed = parseFailure(result);
    if (parsed.lockHeld) {
      return new UserError(
        `node-pg-migrate's own lock (advisory lock ${OWN_LOCK_KEY}) is held by another session, most likely a node-pg-migrate run outside migrate-action ` +
          `on this database: wait for it to finish (or end that session), then run again; ${now}.`,
      );
    }
    const file = parsed.migration === undefined ? undefined : byName.get(parsed.migration);
    const said = parsed.message === undefined ? `it ended with ${howItEnded(result)}` : scrubbed(parsed.message);
    const sqlstate = parsed.code ? ` (SQLSTATE ${parsed.code})` : '';
    if (!file || done.some((m) => m.id === file.name)) {
      // Before any migration ran (files, connection, check-order) or after they all did.
      return new EngineFailed(`node-pg-migrate failed while ${what}: ${said}${sqlstate}; ${now}. See its output above.`, { code: parsed.code });
    }
    const line = file.kind === 'sql' && parsed.position !== undefined ? lineAt(file.text!, indexOfPosition(file.text!, file.upStart!, parsed.position)) : undefined;
    const where = line === undefined ? '' : ` at line ${line}`;
    const rolledBack = done.length === 0 && toRun.length > 1 ? ' (node-pg-migrate ran them in one transaction, which it rolled back)' : '';
    return new EngineFailed(`Migration ${file.label} failed${where}: ${said}${sqlstate}; ${now}${rolledBack}. Fix the migration, then run again.`, {
      location: { file: file.label, line },
      code: parsed.code,
    });
  }

  /**
   * Run `up <N>`, then read the state again and report what it applied (`fake`: `--fake`, recorded
   * without running; the frame reports those as baselined, not applied).
   */
  async function up(ctx: EngineContext, toRun: readonly EngineMigration[], fake: boolean, what: string): Promise<EngineState> {
    const result = await runTool(
      ctx,
      {
        tool: TOOL,
        program,
        args: runnerArgs('up', toRun.length, fake ? ['--fake'] : []),
        cwd: config.workspace,
        // uselibpqcompat: pg then gives sslmode libpq's meaning (require = encrypt, do not verify).
        env: { DATABASE_URL: ctx.engineUrl({ uselibpqcompat: 'true' }) },
      },
      programLabel,
    );
    const after = await stateAfter(() => read(ctx), TOOL, toRun);
    const done = recorded(toRun, after);
    if (fake) ctx.revision(after.revision);
    else reportApplied(ctx, toRun, after);
    if (result.code !== 0) throw failure(result, toRun, done, after, what);
    if (done.length < toRun.length) {
      const missing = toRun.filter((m) => !done.includes(m));
      throw new EngineFailed(
        `node-pg-migrate reported success, but ${TABLE_SCHEMA}.${TABLE} does not record ${listed(missing.map((m) => m.fileName), 10)}: ` +
          `does a node-pg-migrate configuration (config/, --config-file) set another migrations table or schema? migrate-action reads ${TABLE_SCHEMA}.${TABLE}; ` +
          `${appliedNow(toRun, done, after)}.`,
      );
    }
    return after;
  }

  return {
    name: TOOL,
    unsupported: {},
    stateTable: TABLE,

    async prepare() {
      program = findProgram();
      const relative = path.relative(config.workspace, program);
      programLabel = relative.startsWith('..') || path.isAbsolute(relative) ? program : relative;
      const version = checkInstallation();
      files = loadFiles(config.migrationsDir, config.migrationsDirLabel);
      for (const file of files) byName.set(file.name, file);
      const js = files.filter((f) => f.kind === 'js').length;
      return (
        `${files.length} migration files in ${config.migrationsDirLabel} (${files.length - js} SQL, ${js} JavaScript), ` +
        `from ${files[0]!.name} to ${files[files.length - 1]!.name}; node-pg-migrate ${version} (${programLabel}).`
      );
    },

    async readState(ctx) {
      const state = await read(ctx);
      const problem = orderProblem(state.applied, files, config.migrationsDirLabel);
      if (problem) {
        // status only lists; anything that would run node-pg-migrate (or promise what it would do) refuses.
        if (config.command === 'status') ctx.log.warning(problem.message);
        else throw new UserError(problem.message, { location: problem.file ? { file: problem.file } : undefined });
      }
      return state;
    },

    within(state, target) {
      if (target === undefined) return state.pending;
      if (state.applied.some((record) => record.id === target)) return [];
      const at = state.pending.findIndex((m) => m.id === target);
      if (at >= 0) return state.pending.slice(0, at + 1);
      const withExtension = files.find((f) => f.fileName === target);
      const example = withExtension?.name ?? files[files.length - 1]!.name;
      throw new UserError(
        `Input target-revision ${target} is not a migration in ${config.migrationsDirLabel}; use a file name without its extension, e.g. ${example}.`,
      );
    },

    async apply(ctx, state, toRun) {
      if (toRun.length === 0) return state;
      ctx.log.info(`Running node-pg-migrate up ${toRun.length} (${listed(toRun.map((m) => m.fileName), 10)}) in one transaction ...`);
      return up(ctx, toRun, false, `applying ${toRun.length} migration(s)`);
    },

    async rollbackPlan(ctx, state, target) {
      const { undo, stays } = linearUndo(state, target, {
        where: config.migrationsDirLabel,
        idHint: 'a file name without its extension',
      });
      const irreversible: string[] = [];
      const toUndo = undo.map((record): EngineMigration => {
        const file = byName.get(record.id);
        if (!file) {
          // readState's order check refuses this already; kept for a state read another way.
          irreversible.push(`${record.id} (${TABLE_SCHEMA}.${TABLE} records it, but ${config.migrationsDirLabel} has no file for it)`);
          return { id: record.id, name: record.name, fileName: record.fileName, label: record.fileName };
        }
        if (file.kind === 'js') {
          if (file.downDisabled) irreversible.push(`${file.label} (it exports down = false)`);
          return {
            id: file.name,
            name: file.name,
            fileName: file.fileName,
            label: file.label,
            sqlNote: 'a JavaScript migration: node-pg-migrate runs its down function (or reverses up when it exports none); its SQL is known only when it runs',
          };
        }
        if (file.down === undefined) irreversible.push(`${file.label} (no -- Down Migration section)`);
        else if (!sectionHasStatements(file.down)) irreversible.push(`${file.label} (its -- Down Migration section has no statement)`);
        return { id: file.name, name: file.name, fileName: file.fileName, label: file.label, sql: file.down, transaction: true };
      });
      // A JavaScript migration's way back is known only to node-pg-migrate (a down function, or up reversed
      // when it can be): ask it, in a dry run whose sessions can change nothing.
      if (irreversible.length === 0 && undo.some((record) => byName.get(record.id)?.kind === 'js')) {
        const problem = await probeDown(ctx, toUndo);
        if (problem) irreversible.push(problem);
      }
      return { toUndo, target: stays ? { id: stays.id, name: '' } : { id: '', name: '', none: true }, irreversible };
    },

    /**
     * `down N` undoes the last N applied (by run_on, id: the order read here), each in its own transaction
     * with its row (`--no-single-transaction`). N is never 0, which node-pg-migrate takes for "all".
     */
    async rollback(ctx, state, plan) {
      const count = plan.toUndo.length;
      if (count === 0) return state;
      ctx.log.info(`Running node-pg-migrate down ${count} (${listed(plan.toUndo.map((m) => m.fileName), 10)}), each in its own transaction ...`);
      const t0 = ctx.clock.now();
      const result = await runTool(
        ctx,
        {
          tool: TOOL,
          program,
          args: runnerArgs('down', count, ['--no-single-transaction']),
          cwd: config.workspace,
          env: { DATABASE_URL: ctx.engineUrl({ uselibpqcompat: 'true' }) },
        },
        programLabel,
      );
      const after = await stateAfter(() => read(ctx), TOOL, plan.toUndo);
      const stillApplied = new Set(after.applied.map((record) => record.id));
      const undone = plan.toUndo.filter((m) => !stillApplied.has(m.id));
      for (const m of undone) ctx.undone({ id: m.id, fileName: m.fileName, label: m.label, transaction: m.transaction });
      ctx.revision(after.revision);
      const now = `${undone.length} of the ${count} undone; the database is at ${after.revision.none ? 'no migration' : after.revision.id}`;
      if (undone.length === count && result.code === 0) {
        ctx.log.info(`node-pg-migrate undid ${count} migration(s) in ${ctx.clock.now() - t0} ms.`);
        return after;
      }
      if (result.signal !== null) throw new EngineFailed(`node-pg-migrate was stopped (${howItEnded(result)}) while it rolled back: ${now}.`);
      const parsed = parseFailure(result, 'DOWN');
      // Undone in order, the latest first: the first one still applied is where it stopped.
      const failing = plan.toUndo.find((m) => stillApplied.has(m.id));
      const file = failing === undefined ? undefined : byName.get(failing.id);
      const said = parsed.message === undefined ? `it ended with ${howItEnded(result)}` : scrubbed(parsed.message);
      const sqlstate = parsed.code ? ` (SQLSTATE ${parsed.code})` : '';
      if (!file) {
        throw new EngineFailed(`node-pg-migrate down ${count} failed: ${said}${sqlstate}; ${now}. See its output above.`, { code: parsed.code });
      }
      const line =
        file.kind === 'sql' && file.downStart !== undefined && parsed.position !== undefined
          ? lineAt(file.text!, indexOfPosition(file.text!, file.downStart, parsed.position))
          : undefined;
      throw new EngineFailed(
        `Undoing ${file.label} failed${line === undefined ? '' : ` at line ${line}`}: ${said}${sqlstate}; it was rolled back; ${now}. Fix its down migration, then run the rollback again.`,
        { location: { file: file.label, line }, code: parsed.code },
      );
    },

    async baseline(ctx, state, toRecord) {
      if (toRecord.length === 0) return state;
      ctx.log.info(`Running node-pg-migrate up ${toRecord.length} --fake (${listed(toRecord.map((m) => m.fileName), 10)}) ...`);
      const after = await up(ctx, toRecord, true, `recording ${toRecord.length} migration(s) without running them`);
      ctx.log.info(`The database is at revision ${revisionText(after.revision)}.`);
      return after;
    },
  };
}
