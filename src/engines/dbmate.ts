import { readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Config } from '../config.js';
import { UserError, listed, messageOf } from '../errors.js';
import { linearUndo, sectionHasStatements } from './rollback.js';
import { runEngineProgram } from './spawn.js';
import {
  appliedNow,
  cannotStart,
  findOnPath,
  howItEnded,
  lineAt,
  programFromInput,
  readMigrationText,
  readMigrationsDir,
  recorded,
  reportApplied,
  runTool,
  scrubbed,
  stateAfter,
  urlParameter,
} from './tools.js';
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
 * dbmate 2, driven through its own program. The rules below are read from its source (github.com/amacneil/
 * dbmate v2.35: pkg/dbmate/db.go FindMigrations/Migrate, pkg/dbmate/migration.go, pkg/dbmate/driver.go
 * QueryError, pkg/driver/postgres/postgres.go) and checked against 2.36.0:
 * - files: directory entries that are not directories and match `^(\d+).*\.sql$`; version = the digits;
 *   applied in file-name order (a byte-wise string sort, not a numeric one);
 * - a file needs `-- migrate:up` then `-- migrate:down`, with only blank and comment lines before the
 *   first; `-- migrate:up transaction:false` runs it outside a transaction; each file is its own transaction;
 * - state: `<schema>.schema_migrations(version varchar primary key)`, schema = the URL's search_path, else
 *   current_schema(); no time, no order, no name;
 * - no lock, no target version; every error exits 2, and it prints `Applied:` even for a file that failed;
 * - a query error says `line: L, column: C, position: P: pq: <message> at position L:C (<SQLSTATE>)`, where
 *   L counts from the `-- migrate:up` line (line 1), not from the top of the file.
 */

const TOOL = 'dbmate';
const TABLE = 'schema_migrations';
const MIN_MAJOR = 2;

/** db.go migrationFileRegexp. Go's `.` stops at a line feed only. */
const FILE_NAME = /^(\d+)[^\n]*\.sql$/;
/** Go's `\s` (RE2): no vertical tab, no Unicode spaces. */
const S = '[\\t\\n\\f\\r ]';
const NOT_S = '[^\\t\\n\\f\\r ]';
/** Go's `(?m)^` and `(?m)$`: after/before a line feed or at the ends of the text (not at a bare CR). */
const BOL = '(?:^|(?<=\\n))';
const EOL = '(?=\\n|$)';
const directive = (direction: 'up' | 'down') => new RegExp(`${BOL}--${S}*migrate:${direction}(?:${S}*${EOL}|${S}+${NOT_S}+)`, 'g');
const UP = directive('up');
const DOWN = directive('down');

/** One file dbmate would apply. */
interface MigrationFile {
  readonly version: string;
  /** The part after the version, without `_` and `.sql`: e.g. create_users. */
  readonly name: string;
  readonly fileName: string;
  readonly label: string;
  /** The `-- migrate:up` section, from its directive to the `-- migrate:down` one: what dbmate runs. */
  readonly up: string;
  /** 1-based line of the `-- migrate:up` directive: dbmate's error lines count from it. */
  readonly upLine: number;
  readonly transaction: boolean;
  /** The `-- migrate:down` section: what `dbmate rollback` runs. */
  readonly down: string;
  /** 1-based line of the `-- migrate:down` directive: error lines of a rollback count from it. */
  readonly downLine: number;
  readonly downTransaction: boolean;
}

/** A file's sections as dbmate parses them, or dbmate's own complaint about it. Pure. */
export function parseMigration(
  text: string,
): { up: string; upStart: number; transaction: boolean; down: string; downStart: number; downTransaction: boolean }[] | string {
  const ups = [...text.matchAll(UP)];
  if (ups.length === 0) return "dbmate requires each migration to define an up block with '-- migrate:up'";
  const before = text.slice(0, ups[0]!.index);
  if (before.split('\n').some((line) => !/^[\t\n\f\r ]*$/.test(line) && !/^[\t\n\f\r ]*--/.test(line))) {
    return "dbmate does not support statements preceding the '-- migrate:up' block";
  }
  const sections = [];
  for (const [i, match] of ups.entries()) {
    const start = match.index!;
    const section = text.slice(start, ups[i + 1]?.index ?? text.length);
    const downs = [...section.matchAll(DOWN)];
    if (downs.length > 1) return "dbmate requires every '-- migrate:down' to be preceded by a '-- migrate:up'";
    if (downs.length === 0) return "dbmate requires each migration to define a down block with '-- migrate:down'";
    const up = section.slice(0, downs[0]!.index);
    const down = section.slice(downs[0]!.index);
    sections.push({
      up,
      upStart: start,
      transaction: upOptions(up).transaction !== 'false',
      down,
      downStart: start + downs[0]!.index!,
      downTransaction: upOptions(down).transaction !== 'false',
    });
  }
  return sections;
}

/** migration.go parseMigrationOptions: `key:value` words after the directive on its own line. Pure. */
function upOptions(up: string): Record<string, string> {
  const options: Record<string, string> = {};
  const first = up.split('\n', 1)[0]!.replace(/^--[\t\n\f\r ]*migrate:(up|down)/, '').trim();
  if (first === '') return options;
  for (const pair of first.split(/[\t\n\f\r ]+/)) {
    const parts = pair.split(':');
    if (parts.length === 2) options[parts[0]!] = parts[1]!;
  }
  return options;
}

/** Go's string order: bytes of the UTF-8 text. Pure. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Versions by number (digit strings of any length), then as text. Pure. */
function versionOrder(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) {
    const [x, y] = [BigInt(a), BigInt(b)];
    if (x !== y) return x < y ? -1 : 1;
  }
  return byteOrder(a, b);
}

/** Read and check the directory the way dbmate 2 reads it; errors name the file and the fix. */
function loadFiles(dir: string, dirLabel: string): MigrationFile[] {
  const files: MigrationFile[] = [];
  for (const entry of readMigrationsDir(dir, dirLabel)) {
    if (entry.isDirectory()) continue;
    const match = FILE_NAME.exec(entry.name);
    if (!match) continue;
    const fileName = entry.name;
    const label = `${dirLabel}/${fileName}`;
    const version = match[1]!;
    const text = readMigrationText(path.join(dir, fileName), label);
    const sections = parseMigration(text);
    if (typeof sections === 'string') {
      throw new UserError(`Migration file ${label} cannot be applied by dbmate: "${sections}"; fix the file (-- migrate:up first, then -- migrate:down).`, {
        location: { file: label },
      });
    }
    if (sections.length > 1) {
      // db.go Migrate records the version once per section: on PostgreSQL the second insert violates
      // the primary key after that section's SQL ran (kept when it is transaction:false).
      throw new UserError(
        `Migration file ${label} has ${sections.length} -- migrate:up sections; dbmate records the version once per section, so on PostgreSQL ` +
          'the second one fails with a duplicate key in schema_migrations after its SQL ran: split it into one file per section.',
        { location: { file: label, line: lineAt(text, sections[1]!.upStart) } },
      );
    }
    const [section] = sections as [Exclude<ReturnType<typeof parseMigration>, string>[number]];
    const name = fileName.slice(version.length).replace(/\.sql$/, '').replace(/^[_-]/, '');
    files.push({
      version,
      name,
      fileName,
      label,
      up: section.up,
      upLine: lineAt(text, section.upStart),
      transaction: section.transaction,
      down: section.down,
      downLine: lineAt(text, section.downStart),
      downTransaction: section.downTransaction,
    });
  }
  if (files.length === 0) {
    throw new UserError(
      `migrations-dir "${dirLabel}" has no dbmate migration files; add files named <version>_<name>.sql (e.g. 20240101120000_create_users.sql, made by dbmate new), ` +
        'or point migrations-dir at the directory that holds them.',
    );
  }
  files.sort((a, b) => byteOrder(a.fileName, b.fileName));
  const seen = new Map<string, MigrationFile>();
  for (const file of files) {
    const other = seen.get(file.version);
    if (other) {
      throw new UserError(
        `Migration files ${other.fileName} and ${file.fileName} in ${dirLabel} share version ${file.version} (schema_migrations keeps one row per version); give the later one a new version, e.g. with dbmate new.`,
        { location: { file: file.label } },
      );
    }
    seen.set(file.version, file);
  }
  return files;
}

/** What dbmate's last `Error:` line says. Pure. */
export function parseFailure(stderr: string): { message?: string; line?: number; column?: number; code?: string } {
  const errors = [...stderr.matchAll(/^Error: (.*)$/gm)];
  let message = errors[errors.length - 1]?.[1];
  if (message === undefined) return {};
  const at = /^line: (\d+), column: (\d+), position: \d+: (.*)$/.exec(message);
  if (at) message = at[3]!;
  const code = / \(([0-9A-Z]{5})\)$/.exec(message)?.[1];
  if (code) message = message.slice(0, -` (${code})`.length);
  message = message.replace(/^pq: /, '').replace(/ at position \d+:\d+$/, '');
  return { message, line: at ? Number(at[1]) : undefined, column: at ? Number(at[2]) : undefined, code };
}

/** The failure of one `dbmate rollback`, in one line naming the file and the line of its down section. */
function rollbackFailure(result: SpawnResult, file: MigrationFile, now: string): EngineFailed {
  if (result.signal !== null) return new EngineFailed(`dbmate was stopped (${howItEnded(result)}) while it rolled back ${file.fileName}; ${now}.`);
  const parsed = parseFailure(result.stderr);
  const said = parsed.message === undefined ? `it ended with ${howItEnded(result)}` : scrubbed(parsed.message);
  const sqlstate = parsed.code ? ` (SQLSTATE ${parsed.code})` : '';
  const line = parsed.line === undefined ? undefined : file.downLine + parsed.line - 1;
  const where = line === undefined ? '' : ` at line ${line}`;
  const outcome = file.downTransaction ? 'it was rolled back' : 'it runs without a transaction (transaction:false): what it did before the error stays';
  return new EngineFailed(`The down section of ${file.label} failed${where}: ${said}${sqlstate}; ${outcome}; ${now}. Fix the -- migrate:down section, then run the rollback again.`, {
    location: { file: file.label, line, column: line === undefined ? undefined : parsed.column },
    code: parsed.code,
  });
}

/**
 * dbmate as an engine: its files, its table, its own program to apply (`migrate`, which runs every
 * pending file). State is read with plain SELECTs on the run's connection; nothing is created.
 */
export function dbmateEngine(config: Config, deps: EngineDeps): Engine {
  let files: MigrationFile[] = [];
  const byVersion = new Map<string, MigrationFile>();
  let program = '';

  const toMigration = (file: MigrationFile): EngineMigration => ({
    id: file.version,
    name: file.name,
    fileName: file.fileName,
    label: file.label,
    sql: file.up,
    sqlLine: file.upLine,
    transaction: file.transaction,
  });

  function findProgram(): string {
    if (config.tools.enginePath !== undefined) return programFromInput(config.tools.enginePath, deps.env);
    const found = findOnPath('dbmate', deps.env);
    if (!found) {
      throw new UserError(
        'dbmate is not on PATH: install it (npm install dbmate, then node_modules/.bin on PATH, or the binary from its releases) or set input engine-path.',
      );
    }
    return found;
  }

  /**
   * npm's `dbmate` is a Node.js wrapper that only finds the Go binary of its platform package and runs it:
   * that binary is started directly (one Node.js start less per run, and nothing more between a stop and
   * dbmate), and its package says its version, so dbmate need not be started to tell it. Undefined for any
   * other installation.
   */
  function npmBinary(found: string): { binary: string; version: string } | undefined {
    try {
      const real = realpathSync(found);
      if (!real.endsWith(`${path.sep}dbmate${path.sep}dist${path.sep}cli.js`)) return undefined;
      const require = createRequire(path.join(path.dirname(path.dirname(real)), 'package.json'));
      const platformPackage = `@dbmate/${process.platform}-${process.arch}`;
      const binary = require.resolve(`${platformPackage}/bin/dbmate${process.platform === 'win32' ? '.exe' : ''}`);
      const { version } = JSON.parse(readFileSync(require.resolve(`${platformPackage}/package.json`), 'utf8')) as { version?: unknown };
      return typeof version === 'string' ? { binary, version } : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The version, from npm's package or else from `dbmate --version` (which needs no database): checked
   * before the run connects, when it is to apply.
   */
  async function checkVersion(): Promise<string> {
    const npm = npmBinary(program);
    if (npm) {
      if (Number(npm.version.split('.')[0]) < MIN_MAJOR) {
        throw new UserError(
          `dbmate ${npm.version} (${program}) is too old: migrate-action needs ${MIN_MAJOR}.0 or later; install a newer one (npm install dbmate@2, or its releases). Nothing was applied.`,
        );
      }
      const from = program;
      program = npm.binary;
      return `dbmate ${npm.version} (${npm.binary}, from ${from})`;
    }
    let result: SpawnResult;
    try {
      result = await runEngineProgram({ tool: TOOL, program, args: ['--version'], cwd: config.workspace, env: {}, quiet: true }, deps.env, deps.log, deps.signal);
    } catch (error) {
      throw cannotStart(TOOL, program, (error as NodeJS.ErrnoException).code ?? messageOf(error), error);
    }
    const version = /version v?(\d+)\.(\d+)\.(\d+)/.exec(result.stdout);
    if (result.code !== 0 || !version) {
      throw new UserError(`${program} --version did not print a dbmate version (${howItEnded(result)}); point input engine-path at dbmate 2 or later. Nothing was applied.`);
    }
    if (Number(version[1]) < MIN_MAJOR) {
      throw new UserError(
        `dbmate ${version.slice(1).join('.')} (${program}) is too old: migrate-action needs ${MIN_MAJOR}.0 or later; install a newer one (npm install dbmate@2, or its releases). Nothing was applied.`,
      );
    }
    return `dbmate ${version.slice(1).join('.')} (${program})`;
  }

  /** The schema dbmate keeps schema_migrations in: the URL's search_path, else current_schema(), else public. */
  async function tableName(ctx: EngineContext): Promise<{ name: string; exists: boolean }> {
    const fromUrl = urlParameter(config.databaseUrl, 'search_path')?.split(',')[0]?.trim();
    const { rows } = await ctx.client.query<{ name: string; found: boolean }>(
      `SELECT format('%I.%I', s, $2::text) AS name, to_regclass(format('%I.%I', s, $2::text)) IS NOT NULL AS found
         FROM (SELECT coalesce(nullif($1::text, ''), current_schema(), 'public') AS s) AS chosen`,
      [fromUrl ?? '', TABLE],
    );
    return { name: rows[0]!.name, exists: rows[0]!.found };
  }

  async function read(ctx: EngineContext): Promise<EngineState> {
    const table = await tableName(ctx);
    const versions = table.exists ? (await ctx.client.query<{ version: string }>(`SELECT version FROM ${table.name}`)).rows.map((r) => r.version) : [];
    versions.sort(versionOrder);
    const applied: AppliedRecord[] = versions.map((version) => {
      const file = byVersion.get(version);
      // dbmate records no time: appliedAt stays undefined.
      return { id: version, name: file?.name ?? '', fileName: file?.fileName ?? version };
    });
    const last = applied[applied.length - 1];
    const revision: EngineRevision = last ? { id: last.id, name: last.name } : { id: '', name: '', none: true };
    const done = new Set(versions);
    return { revision, applied, pending: files.filter((file) => !done.has(file.version)).map(toMigration) };
  }

  /** The failure of a `migrate` run, in one line; the frame has been told what is applied. */
  function failure(result: SpawnResult, toRun: readonly EngineMigration[], done: readonly EngineMigration[], after: EngineState): UserError {
    const now = appliedNow(toRun, done, after);
    if (result.signal !== null) return new EngineFailed(`dbmate was stopped (${howItEnded(result)}) while applying migrations: ${now}.`);
    const parsed = parseFailure(result.stderr);
    const said = parsed.message === undefined ? `it ended with ${howItEnded(result)}` : scrubbed(parsed.message);
    const sqlstate = parsed.code ? ` (SQLSTATE ${parsed.code})` : '';
    const failed = toRun.find((m) => !done.includes(m));
    const file = failed && byVersion.get(failed.id);
    // `Applying: <file>` is printed before the file is read: without it, dbmate failed before this file.
    if (!file || !result.stdout.split('\n').includes(`Applying: ${file.fileName}`)) {
      return new EngineFailed(`dbmate failed${done.length > 0 ? '' : ' before applying a migration'}: ${said}${sqlstate}; ${now}. See its output above.`, {
        code: parsed.code,
      });
    }
    const line = parsed.line === undefined ? undefined : file.upLine + parsed.line - 1;
    const where = line === undefined ? '' : ` at line ${line}`;
    const partly = file.transaction ? '' : ' It ran without a transaction (transaction:false): what it did before the error stays.';
    return new EngineFailed(`Migration ${file.label} failed${where}: ${said}${sqlstate}; ${now}.${partly} Fix the migration, then run again.`, {
      location: { file: file.label, line, column: line === undefined ? undefined : parsed.column },
      code: parsed.code,
    });
  }

  return {
    name: TOOL,
    unsupported: {
      baseline: 'dbmate has no command that records migrations without running them; apply them, or insert the versions into schema_migrations yourself',
    },

    async prepare() {
      program = findProgram();
      files = loadFiles(config.migrationsDir, config.migrationsDirLabel);
      for (const file of files) byVersion.set(file.version, file);
      const widths = new Set(files.map((f) => f.version.length));
      if (widths.size > 1) {
        // dbmate sorts file names as text: 10_b.sql runs before 9_a.sql.
        deps.log.warning(
          `The versions in ${config.migrationsDirLabel} have different numbers of digits; dbmate applies files in file-name order, which is not numeric order here: ` +
            `${listed(files.map((f) => f.fileName), 10)}. Pad the versions to one width (dbmate new uses 14-digit timestamps).`,
        );
      }
      const found = `${files.length} migration files in ${config.migrationsDirLabel}, versions ${files[0]!.version} to ${files[files.length - 1]!.version}`;
      // Only apply and rollback run dbmate: a missing or too old one stops it here, before the database is touched.
      const runs = config.command === 'apply' || (config.command === 'rollback' && !config.dryRun);
      return runs ? `${found}; ${await checkVersion()}.` : `${found}; dbmate at ${program}.`;
    },

    readState: (ctx) => read(ctx),

    /**
     * dbmate has no target version: `migrate` runs every pending file. A target that is not the last
     * pending one is refused for every command, plan and check included: they tell what apply would do.
     */
    within(state, target) {
      if (target === undefined) return state.pending;
      if (state.applied.some((record) => record.id === target)) return [];
      const at = state.pending.findIndex((m) => m.id === target);
      if (at < 0) {
        const named = files.find((f) => f.fileName === target || path.basename(f.fileName, '.sql') === target);
        throw new UserError(
          `Input target-revision ${target} is not a migration version in ${config.migrationsDirLabel}; use the digits at the start of a file name, e.g. ${(named ?? files[files.length - 1]!).version}.`,
        );
      }
      if (at < state.pending.length - 1) {
        throw new UserError(
          `dbmate applies every pending migration and has no target version; remove input target-revision (or the later files: ${listed(
            state.pending.slice(at + 1).map((m) => m.fileName),
            10,
          )}).`,
        );
      }
      return state.pending;
    },

    async rollbackPlan(_ctx, state, target) {
      // dbmate rolls back the latest applied in ITS order, file names as text (10_b.sql before 9_a.sql),
      // not by version number: the plan follows that order, so that what it lists is what dbmate undoes.
      const inDbmateOrder = { ...state, applied: [...state.applied].sort((a, b) => byteOrder(a.fileName, b.fileName)) };
      const { undo } = linearUndo(inDbmateOrder, target, {
        where: config.migrationsDirLabel,
        idHint: 'the digits at the start of a file name',
      });
      const irreversible: string[] = [];
      const toUndo = undo.map((record): EngineMigration => {
        const file = byVersion.get(record.id);
        if (!file) {
          irreversible.push(`version ${record.id} (${TABLE} records it, but ${config.migrationsDirLabel} has no file for it)`);
          return { id: record.id, name: record.name, fileName: record.fileName, label: record.fileName };
        }
        if (!sectionHasStatements(file.down)) irreversible.push(`${file.label} (its -- migrate:down section has no statement)`);
        return { id: file.version, name: file.name, fileName: file.fileName, label: file.label, sql: file.down, transaction: file.downTransaction };
      });
      // The revision output is the highest version left, whatever the order.
      const gone = new Set(undo.map((record) => record.id));
      const left = state.applied.filter((record) => !gone.has(record.id)).sort((a, b) => versionOrder(a.id, b.id));
      const last = left[left.length - 1];
      return { toUndo, target: last ? { id: last.id, name: last.name } : { id: '', name: '', none: true }, irreversible };
    },

    /** `dbmate rollback` undoes the latest applied migration: run once per migration, checking each time which one went. */
    async rollback(ctx, state, plan) {
      let now = state;
      for (const migration of plan.toUndo) {
        const file = byVersion.get(migration.id)!;
        const t0 = ctx.clock.now();
        const before = now;
        ctx.log.info(`Running dbmate rollback (${file.fileName})${file.downTransaction ? '' : ' without a transaction'} ...`);
        const result = await runTool(
          ctx,
          {
            tool: TOOL,
            program,
            args: ['--no-dump-schema', '--wait=false', '--migrations-dir', config.migrationsDir, '--migrations-table', TABLE, 'rollback'],
            cwd: config.workspace,
            env: { DATABASE_URL: ctx.engineUrl() },
          },
          program,
        );
        now = await stateAfter(() => read(ctx), TOOL, plan.toUndo);
        ctx.revision(now.revision);
        const gone = before.applied.filter((record) => !now.applied.some((r) => r.id === record.id));
        // What really went is reported, expected or not: the outputs must match the database.
        for (const record of gone) {
          const undone = byVersion.get(record.id);
          ctx.undone({
            id: record.id,
            fileName: record.fileName,
            label: undone?.label ?? record.fileName,
            durationMs: ctx.clock.now() - t0,
            transaction: undone?.downTransaction,
          });
        }
        const at = `the database is at version ${now.revision.none ? 'none' : now.revision.id}`;
        if (result.code !== 0) throw rollbackFailure(result, file, at);
        if (gone.length !== 1 || gone[0]!.id !== migration.id) {
          throw new EngineFailed(
            `dbmate rollback undid ${gone.length === 0 ? 'nothing' : listed(gone.map((r) => r.fileName), 5)} where ${file.fileName} was expected (dbmate takes the latest by file name; ` +
              `versions of different widths sort otherwise): stopped; ${at}.`,
          );
        }
      }
      return now;
    },

    async apply(ctx, state, toRun) {
      if (toRun.length === 0) return state;
      ctx.log.info(`Running dbmate migrate (${listed(toRun.map((m) => m.fileName), 10)}), each file in its own transaction ...`);
      const result = await runTool(
        ctx,
        {
          tool: TOOL,
          program,
          args: [
            // Not a schema dump into the checkout; no wait of its own (the run has waited); the table pinned
            // (DBMATE_MIGRATIONS_TABLE in the job would move it away from where it is read).
            '--no-dump-schema',
            '--wait=false',
            '--migrations-dir',
            config.migrationsDir,
            '--migrations-table',
            TABLE,
            'migrate',
          ],
          cwd: config.workspace,
          env: { DATABASE_URL: ctx.engineUrl() },
        },
        program,
      );
      // Its output says `Applied:` even for a file that failed: only the table tells what is applied.
      const after = await stateAfter(() => read(ctx), TOOL, toRun);
      const done = recorded(toRun, after);
      reportApplied(ctx, toRun, after);
      if (result.code !== 0) {
        ctx.log.info(
          `dbmate prints "Applied:" for every file it tried, a failed one included; ${TABLE} records ${done.length} of the ${toRun.length} as applied` +
            (done.length > 0 ? `: ${listed(done.map((m) => m.fileName), 10)}.` : '.'),
        );
        throw failure(result, toRun, done, after);
      }
      if (done.length < toRun.length) {
        const missing = toRun.filter((m) => !done.includes(m));
        throw new EngineFailed(
          `dbmate reported success, but ${TABLE} does not record ${listed(missing.map((m) => m.fileName), 10)}: does DBMATE_DRIVER or a .env file ` +
            `point it elsewhere? ${appliedNow(toRun, done, after)}.`,
        );
      }
      return after;
    },
  };
}
