import { accessSync, constants, readdirSync, readFileSync, realpathSync, statSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { UserError, listed, messageOf, oneLine } from '../errors.js';
import { EngineFailed, type AppliedEntry, type EngineContext, type EngineMigration, type EngineRevision, type EngineState, type SpawnRequest, type SpawnResult } from './types.js';

/**
 * Helpers shared by the engines that run a migration tool's own program (node-pg-migrate, dbmate):
 * finding the program, reading the migrations directory, turning an error position into a file line,
 * and telling what a run left applied.
 */

/** A file that can be run: a regular file (or a link to one) with an execute bit for us. */
export function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The first `name` on `env.PATH` that can be run, as an absolute path; undefined when there is none.
 * Searched here rather than left to spawn: a missing program is then a one-line error before the
 * database is touched, and the log can say which one is used.
 */
export function findOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    // An empty entry means the current directory to a shell; a job's PATH should not rely on that.
    if (dir === '') continue;
    const candidate = path.resolve(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The program input engine-path names: a path (already resolved against the workspace by the config)
 * must be a file we can run; a bare name is looked up on PATH. Throws a UserError naming the input.
 */
export function programFromInput(enginePath: string, env: NodeJS.ProcessEnv): string {
  if (!enginePath.includes('/')) {
    const found = findOnPath(enginePath, env);
    if (!found) throw new UserError(`Input engine-path "${enginePath}" is not on PATH; give the program's path (e.g. node_modules/.bin/${enginePath}), or install it.`);
    return found;
  }
  if (!isExecutable(enginePath)) {
    throw new UserError(`Input engine-path "${enginePath}" is not a program that can be run (missing, a directory, or not executable); point it at the tool's executable.`);
  }
  return enginePath;
}

/**
 * The entries of the migrations directory. A missing or unreadable directory is a UserError naming
 * migrations-dir as the user wrote it.
 */
export function readMigrationsDir(dir: string, dirLabel: string): Dirent[] {
  try {
    if (!statSync(dir).isDirectory()) {
      throw new UserError(`migrations-dir "${dirLabel}" is a file, not a directory; point it at the directory of migration files.`);
    }
    return readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if (error instanceof UserError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new UserError(
        `migrations-dir "${dirLabel}" does not exist; set migrations-dir to the directory of migration files, relative to the workspace (and check out the repository first).`,
        { cause: error },
      );
    }
    throw new UserError(`migrations-dir "${dirLabel}" cannot be read (${code ?? messageOf(error)}); make it readable by the user that runs this step.`, { cause: error });
  }
}

/**
 * Whether a directory entry is a file once links are followed (a tool that reads it would find a file).
 * A broken link or a link to a directory is not.
 */
export function isFileEntry(dir: string, entry: Dirent): boolean {
  if (entry.isFile()) return true;
  if (!entry.isSymbolicLink()) return false;
  try {
    return statSync(path.join(dir, entry.name)).isFile();
  } catch {
    return false;
  }
}

/** A migration file's text, read as the tools read it (UTF-8). Throws a UserError naming the file. */
export function readMigrationText(fullPath: string, label: string): string {
  try {
    return readFileSync(fullPath, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`Migration file ${label} cannot be read (${code ?? messageOf(error)}); check that it exists and is readable.`, {
      cause: error,
      location: { file: label },
    });
  }
}

/** The real path of a program, following links (an npm bin is a link into its package). */
export function realProgram(program: string): string {
  try {
    return realpathSync(program);
  } catch {
    return program;
  }
}

/** The 1-based line of the character at `index` (a JS string index) of `text`. Pure. */
export function lineAt(text: string, index: number): number {
  let line = 1;
  const end = Math.min(Math.max(index, 0), text.length);
  for (let i = text.indexOf('\n'); i >= 0 && i < end; i = text.indexOf('\n', i + 1)) line += 1;
  return line;
}

/**
 * The JS string index of the character the server's 1-based `position` points at, in a query that is
 * `text` from `start` on. The server counts characters (code points); JS strings count UTF-16 units,
 * which differ after a character outside the Basic Multilingual Plane. Clamped to the text. Pure.
 */
export function indexOfPosition(text: string, start: number, position: number): number {
  let index = start;
  for (let counted = 1; counted < position && index < text.length; counted += 1) {
    const code = text.codePointAt(index)!;
    index += code > 0xffff ? 2 : 1;
  }
  return Math.min(index, Math.max(text.length - 1, 0));
}

/**
 * A tool's output made safe for a one-line message: anything shaped like a connection URL is replaced,
 * whitespace collapsed, and the length bounded (the log has the whole output). Pure.
 */
export function scrubbed(text: string, max = 500): string {
  const flat = oneLine(text.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<url>'));
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

/** A revision in a message: its id, and its name when it has one. Pure. */
export function revisionText(revision: EngineRevision): string {
  if (revision.none) return 'none (nothing applied)';
  return revision.name === '' ? revision.id : `${revision.id} (${revision.name})`;
}

/** The migrations of `toRun` that `after` records as applied, in the order of `toRun`. Pure. */
export function recorded(toRun: readonly EngineMigration[], after: EngineState): EngineMigration[] {
  const applied = new Set(after.applied.map((record) => record.id));
  return toRun.filter((migration) => applied.has(migration.id));
}

/**
 * Tell the frame about each migration of `toRun` that `after` (the state read again once the tool has
 * exited) records as applied, in order, then the revision now. Returns the ones applied. Never trusts
 * the tool's own output: only the database says what is applied.
 */
export function reportApplied(ctx: EngineContext, toRun: readonly EngineMigration[], after: EngineState): EngineMigration[] {
  const done = recorded(toRun, after);
  for (const migration of done) {
    const entry: AppliedEntry = { id: migration.id, fileName: migration.fileName, label: migration.label, transaction: migration.transaction };
    ctx.applied(entry);
  }
  ctx.revision(after.revision);
  return done;
}


/**
 * What a run that stopped half-way left applied, for the end of a one-line message: how many of
 * `toRun` are applied, which, and the revision. Pure.
 */
export function appliedNow(toRun: readonly EngineMigration[], done: readonly EngineMigration[], after: EngineState): string {
  const revision = `the database is at revision ${revisionText(after.revision)}`;
  if (done.length === 0) return `none of the ${toRun.length} migration(s) of this run is applied; ${revision}`;
  if (done.length === toRun.length) return `all ${toRun.length} migration(s) of this run are applied; ${revision}`;
  return `${done.length} of the ${toRun.length} migration(s) of this run are applied (${listed(done.map((m) => m.fileName), 10)}); ${revision}`;
}

/**
 * Run the tool through the frame. A program that cannot be started at all (deleted since prepare, not
 * executable, a missing interpreter) is a one-line UserError rather than a crash.
 */
export async function runTool(ctx: EngineContext, request: SpawnRequest, programLabel: string): Promise<SpawnResult> {
  try {
    return await ctx.spawn(request);
  } catch (error) {
    throw cannotStart(request.tool, programLabel, (error as NodeJS.ErrnoException).code ?? messageOf(error), error);
  }
}

/** A tool's program that could not be started at all (missing, not executable): one line naming it. */
export function cannotStart(tool: string, programLabel: string, why: string, cause?: unknown): UserError {
  return new UserError(
    `${tool} (${programLabel}) could not be started (${why}); check that it is installed in the job and can be run. Nothing was applied.`,
    { cause },
  );
}

/**
 * The state read again after the tool exited. If that fails (the connection is gone), what is applied
 * cannot be told: the error says so and names the run's migrations.
 */
export async function stateAfter(read: () => Promise<EngineState>, tool: string, toRun: readonly EngineMigration[]): Promise<EngineState> {
  try {
    return await read();
  } catch (error) {
    throw new EngineFailed(
      `${tool} ran ${listed(toRun.map((m) => m.label), 10)}, but reading what is applied afterwards failed (${scrubbed(messageOf(error), 200)}); ` +
        'which of them are applied is unknown: run status to see, then apply again.',
      { stateUnknown: true },
    );
  }
}

/** How a program ended, for a message: `exit code 1` or `signal SIGTERM`. Pure. */
export function howItEnded(result: SpawnResult): string {
  return result.signal ? `signal ${result.signal}` : `exit code ${String(result.code)}`;
}

/** The value of query parameter `name` in a connection URL; undefined when absent or unparsable. Pure. */
export function urlParameter(url: string, name: string): string | undefined {
  try {
    return new URL(url).searchParams.get(name) ?? undefined;
  } catch {
    return undefined;
  }
}
