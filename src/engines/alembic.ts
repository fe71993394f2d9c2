import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config.js';
import { UserError, listed } from '../errors.js';
import { startEngineSession, type EngineSession } from './spawn.js';
import { appliedNow, cannotStart, findOnPath, isExecutable, howItEnded, recorded, reportApplied, revisionText, scrubbed, stateAfter } from './tools.js';
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
 * Alembic, driven through its own API by a small Python helper (alembic_helper.py, shipped next to the
 * bundle) run with the project's interpreter: the revision graph lives in the .py files and the
 * alembic_version table holds only the current heads, so "applied" and "pending" can only be told by
 * Alembic itself. The helper runs env.py (its version table, schema and connection settings apply),
 * sets sqlalchemy.url from DATABASE_URL, and writes one JSON document to fd 3 (protocol: the helper's
 * docstring). Checked against Alembic 1.8.1 with SQLAlchemy 1.4 and psycopg2.
 */

const TOOL = 'alembic';
const HELPER = 'alembic_helper.py';
/** The helper's exit status for a failure it describes in its JSON. */
const EXIT_FAILED = 3;
/** The helper's exit status when Alembic is missing or too old. */
const EXIT_UNUSABLE = 4;
const MIN_VERSION: readonly [number, number] = [1, 7];
const INSTALL_HINT = 'pip install alembic psycopg2-binary in that environment, or set input python to the interpreter of your virtualenv (e.g. .venv/bin/python)';

/** A revision as the helper describes it. */
export interface HelperRevision {
  readonly revision: string;
  /** The first paragraph of its docstring (the -m message). */
  readonly doc: string;
  readonly path: string;
  readonly down_revision: readonly string[];
  /** What must be applied before it: its down revisions and what it depends_on. */
  readonly needs: readonly string[];
  readonly sql?: string;
  readonly sql_note?: string;
  /** downgrade-plan: why it cannot be undone (no downgrade(), one that only raises or does nothing). */
  readonly irreversible?: string;
}

/** The helper's `state`: the database's heads, and the scripts' revisions split into applied and pending (base first). */
export interface HelperState {
  readonly script_dir: string;
  readonly current: readonly string[];
  readonly heads: readonly string[];
  readonly applied: readonly HelperRevision[];
  readonly pending: readonly HelperRevision[];
  readonly version_table: string;
  readonly version_table_schema: string | null;
}

export interface HelperError {
  readonly kind: 'missing' | 'too-old' | 'env' | 'unknown-current' | 'target' | 'migration' | 'stopped' | 'internal';
  /** target: the revisions one step below the current heads (what to name instead of -N). */
  readonly choices?: readonly string[];
  readonly message: string;
  readonly type?: string;
  readonly file?: string;
  readonly line?: number;
  readonly pgcode?: string;
  readonly statement?: string;
}

/** The one JSON document the helper writes to fd 3. */
export interface HelperResult {
  readonly ok: boolean;
  readonly alembic?: string;
  readonly sqlalchemy?: string;
  readonly python?: string;
  readonly state?: HelperState | null;
  /** Why `state` is null after a failure. */
  readonly state_error?: string;
  readonly error?: HelperError;
  /** downgrade-plan: what would be undone, the latest first. */
  readonly undo?: readonly HelperRevision[];
}

/**
 * Where alembic_helper.py is: next to the running module (src/engines/ from the sources, dist/ in the
 * bundle, where the build copies it). Throws when the package lacks it (a broken build, not the user's).
 */
export function helperPath(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, HELPER), path.join(here, 'engines', HELPER)];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) throw new Error(`migrate-action's ${HELPER} is missing (looked in ${candidates.join(', ')}): the package is incomplete; reinstall it.`);
  return found;
}

/** The helper's command line: serve mode, which answers the run's commands (its other modes are for running it by hand). Pure. */
export function helperArgs(helper: string, ini: string): string[] {
  return [helper, 'serve', '-c', ini];
}

/** A command for the helper in serve mode (its env is added when it is sent). */
export type HelperCommand =
  | { readonly mode: 'state'; readonly sql: boolean }
  | { readonly mode: 'upgrade' | 'stamp' | 'downgrade'; readonly target: string }
  | { readonly mode: 'downgrade-plan'; readonly target: string; readonly sql: boolean };

/** The helper's JSON, or undefined when it wrote none (it was killed, or Python could not run it). Pure. */
export function parseHelperResult(text: string): HelperResult | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  try {
    const parsed = JSON.parse(trimmed) as unknown;
    return typeof parsed === 'object' && parsed !== null && 'ok' in parsed ? (parsed as HelperResult) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether an Alembic version is older than migrate-action supports. Pure. */
export function isTooOld(version: string): boolean {
  const [major, minor] = (/^(\d+)\.(\d+)/.exec(version) ?? []).slice(1).map(Number);
  if (major === undefined || minor === undefined) return false;
  return major < MIN_VERSION[0] || (major === MIN_VERSION[0] && minor < MIN_VERSION[1]);
}

/** A path as the user would write it: relative to the workspace when inside it. Pure. */
export function workspaceLabel(workspace: string, file: string): string {
  const relative = path.relative(workspace, file);
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? file : relative.split(path.sep).join('/');
}

/** The revision the database is at: its heads joined by spaces (one row per head), named when there is one. Pure. */
export function alembicRevision(state: HelperState): EngineRevision {
  if (state.current.length === 0) return { id: '', name: '', none: true };
  const single = state.current.length === 1 ? state.applied.find((r) => r.revision === state.current[0]) : undefined;
  // Sorted: the version table's rows come in no fixed order, and the output must not change between runs.
  return { id: [...state.current].sort().join(' '), name: single?.doc ?? '' };
}

/** The helper's state as the frame sees it. Pure. */
export function toEngineState(state: HelperState, workspace: string): EngineState {
  return {
    revision: alembicRevision(state),
    applied: state.applied.map((r): AppliedRecord => ({ id: r.revision, name: r.doc, fileName: path.basename(r.path) })),
    pending: state.pending.map(
      (r): EngineMigration => ({
        id: r.revision,
        name: r.doc,
        fileName: path.basename(r.path),
        label: workspaceLabel(workspace, r.path),
        ...(r.sql !== undefined ? { sql: r.sql } : {}),
        ...(r.sql_note !== undefined ? { sqlNote: r.sql_note } : {}),
      }),
    ),
  };
}

/**
 * The revisions a target-revision names, as Alembic resolves an id: `head` (when there is one) and
 * `heads`, an exact id, else a unique prefix of an id longer than 3 characters. Returns a problem for
 * the message otherwise. Pure.
 */
export function resolveTarget(state: HelperState, target: string): { ids: readonly string[] } | { problem: 'unknown' | 'ambiguous' | 'heads'; matches: readonly string[] } {
  if (target === 'heads') return { ids: state.heads };
  if (target === 'head') return state.heads.length === 1 ? { ids: state.heads } : { problem: 'heads', matches: state.heads };
  const ids = [...state.applied, ...state.pending].map((r) => r.revision);
  if (ids.includes(target)) return { ids: [target] };
  const matches = ids.filter((id) => id.length > 3 && id.startsWith(target));
  if (matches.length === 1) return { ids: matches };
  return { problem: matches.length === 0 ? 'unknown' : 'ambiguous', matches };
}

/**
 * The pending revisions an upgrade to `targets` runs: the targets and everything they need, that is
 * not applied yet, in the helper's order (base first). Pure.
 */
export function pendingUpTo(state: HelperState, targets: readonly string[]): HelperRevision[] {
  const needs = new Map([...state.applied, ...state.pending].map((r) => [r.revision, r.needs]));
  const wanted = new Set<string>();
  const stack = [...targets];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (wanted.has(id)) continue;
    wanted.add(id);
    stack.push(...(needs.get(id) ?? []));
  }
  return state.pending.filter((r) => wanted.has(r.revision));
}

/**
 * The state for heads `current` read straight from the version table, with the revision graph of an
 * earlier state: for a run stopped so hard that the helper could not say what it left. Pure.
 */
export function stateAtHeads(before: HelperState, current: readonly string[]): HelperState {
  const all = [...before.applied, ...before.pending];
  const byId = new Map(all.map((r) => [r.revision, r]));
  const applied = new Set<string>();
  const stack = [...current];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (applied.has(id)) continue;
    applied.add(id);
    stack.push(...(byId.get(id)?.needs ?? []));
  }
  const strip = (r: HelperRevision): HelperRevision => ({ revision: r.revision, doc: r.doc, path: r.path, down_revision: r.down_revision, needs: r.needs });
  return {
    ...before,
    current,
    applied: all.filter((r) => applied.has(r.revision)).map(strip),
    pending: all.filter((r) => !applied.has(r.revision)).map(strip),
  };
}

/**
 * The revision the database is at once `undo` is undone: the heads of what stays applied (the revisions
 * no other remaining one needs). Pure.
 */
export function revisionAfterUndo(state: HelperState, undo: readonly string[]): EngineRevision {
  const gone = new Set(undo);
  const remaining = state.applied.filter((r) => !gone.has(r.revision));
  const needed = new Set(remaining.flatMap((r) => r.needs));
  const heads = remaining.filter((r) => !needed.has(r.revision));
  if (heads.length === 0) return { id: '', name: '', none: true };
  return { id: heads.map((r) => r.revision).sort().join(' '), name: heads.length === 1 ? heads[0]!.doc : '' };
}

/** A heads list for a message: `b2 "left", c3 "right"`. Pure. */
function describeHeads(state: HelperState, heads: readonly string[]): string {
  const docs = new Map([...state.applied, ...state.pending].map((r) => [r.revision, r.doc]));
  return heads.map((id) => (docs.get(id) ? `${id} "${docs.get(id)}"` : id)).join(', ');
}


/** The last non-empty line of a program's output, for a one-line message. Pure. */
function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  return lines[lines.length - 1]?.trim() ?? '';
}

/** ` (what it printed last)`, or nothing when it printed nothing. */
function printedLast(stderr: string): string {
  const line = scrubbed(lastLine(stderr), 200);
  return line === '' ? ', printing nothing' : ` (${line})`;
}

/**
 * Alembic as an engine: the project's own alembic.ini, env.py and revisions, run with the project's
 * Python through alembic_helper.py. State: `state` (env.py with a function that only reads); apply:
 * `upgrade <target>`; baseline: `stamp <target>`. The helper runs in the directory of alembic.ini, as
 * `alembic` is run by hand (a relative script_location or prepend_sys_path means that directory).
 */
export function alembicEngine(config: Config, deps: EngineDeps): Engine {
  const ini = config.tools.alembicConfig;
  const iniLabel = config.tools.alembicConfigLabel;
  let helper = '';
  let python = config.tools.python;
  /** What each state the engine handed out was made from: within() needs the revision graph. */
  const graphs = new WeakMap<EngineState, HelperState>();
  let announced = false;

  const label = (file: string) => workspaceLabel(config.workspace, file);

  function register(state: HelperState): EngineState {
    const engineState = toEngineState(state, config.workspace);
    graphs.set(engineState, state);
    return engineState;
  }

  function graphOf(state: EngineState): HelperState {
    const graph = graphs.get(state);
    if (!graph) throw new Error('alembic engine: within() was given a state this engine did not read');
    return graph;
  }

  /** The interpreter input python names, checked before anything runs. */
  function findPython(): string {
    const given = config.tools.python;
    if (given.includes('/')) {
      if (isExecutable(given)) return given;
      throw new UserError(
        `Input python ${label(given)} is not a program that can be run (missing, a directory, or not executable); ` +
          'set it to the interpreter that has Alembic installed, e.g. .venv/bin/python (create the virtualenv in an earlier step).',
      );
    }
    const found = findOnPath(given, deps.env);
    if (!found) {
      throw new UserError(
        `Input python "${given}" is not on PATH; install Python 3 with Alembic in the job (pip install alembic psycopg2-binary), ` +
          'or set python to the interpreter of your virtualenv, e.g. .venv/bin/python.',
      );
    }
    return found;
  }

  /**
   * The helper, started in prepare() in serve mode: Python and Alembic load while the run connects and
   * takes its lock, and every command of the run (state, then upgrade or stamp) goes to the same process.
   */
  let session: EngineSession | undefined;

  /** A result as a program's, from the session's answer (or its end). */
  async function ask(ctx: EngineContext, command: HelperCommand, quiet: boolean): Promise<SpawnResult> {
    const env: Record<string, string> = { DATABASE_URL: ctx.engineUrl() };
    const reply = await ctx.busy(() => session!.ask(JSON.stringify({ ...command, env }), quiet));
    if ('ended' in reply) {
      const { ended } = reply;
      if (ended.code === null && ended.signal === null) {
        throw cannotStart(TOOL, config.tools.python, scrubbed(ended.stderr, 120));
      }
      return ended;
    }
    const doc = parseHelperResult(reply.answer);
    return { code: doc?.ok ? 0 : EXIT_FAILED, signal: null, stdout: '', stderr: '', result: reply.answer };
  }

  /** Ask the helper; turns "cannot use this Python" (nothing ran) into one-line errors naming input python. */
  async function runHelper(ctx: EngineContext, command: HelperCommand, quiet: boolean): Promise<{ result: SpawnResult; doc?: HelperResult }> {
    const result = await ask(ctx, command, quiet);
    const doc = parseHelperResult(result.result);
    const pythonLabel = config.tools.python.includes('/') ? label(config.tools.python) : config.tools.python;
    if (doc?.error?.kind === 'missing' || (result.code === EXIT_UNUSABLE && !doc)) {
      throw new UserError(`alembic is not installed for ${pythonLabel} (${scrubbed(doc?.error?.message ?? lastLine(result.stderr), 120)}): ${INSTALL_HINT}.`);
    }
    if (doc?.alembic !== undefined && (doc.error?.kind === 'too-old' || isTooOld(doc.alembic))) {
      throw new UserError(
        `alembic ${doc.alembic} (for ${pythonLabel}) is too old; migrate-action needs ${MIN_VERSION.join('.')} or newer: pip install --upgrade alembic in that environment.`,
      );
    }
    // Past this point an upgrade or stamp may have changed the database: change() reads what it left.
    if (command.mode !== 'state') return { result, doc };
    if (!doc && result.signal === null && !ctx.signal?.aborted && result.code !== 0 && result.code !== EXIT_FAILED) {
      // Python could not even run the helper (Python 2, a broken interpreter).
      throw new UserError(
        `${pythonLabel} could not run migrate-action's Alembic helper (${howItEnded(result)}: ${scrubbed(lastLine(result.stderr), 200)}); ` +
          'set input python to a Python 3.7+ interpreter that has Alembic installed.',
      );
    }
    if (doc?.error?.kind === 'internal') {
      throw new Error(`migrate-action's Alembic helper failed: ${scrubbed(doc.error.message, 300)}`);
    }
    return { result, doc };
  }

  /** One line for the log the first time Alembic answers: which Alembic, SQLAlchemy and Python. */
  function announce(ctx: EngineContext, doc: HelperResult, state: HelperState): void {
    if (announced) return;
    announced = true;
    const count = state.applied.length + state.pending.length;
    ctx.log.info(
      `Alembic ${doc.alembic ?? '?'} (SQLAlchemy ${doc.sqlalchemy ?? '?'}, Python ${doc.python ?? '?'}); ` +
        `${count} revision(s) in ${label(state.script_dir)}, head ${state.heads.join(', ') || 'none'}.`,
    );
  }

  /** The state as the helper reads it; errors from env.py or the scripts become one-line UserErrors. */
  async function readHelperState(ctx: EngineContext, sql: boolean): Promise<HelperState> {
    const { result, doc } = await runHelper(ctx, { mode: 'state', sql }, true);
    if (doc?.ok && doc.state) {
      announce(ctx, doc, doc.state);
      return doc.state;
    }
    const error = doc?.error;
    if (error?.kind === 'stopped' || (!error && (result.signal !== null || ctx.signal?.aborted))) {
      throw new UserError(`Alembic was stopped (${error?.message ?? howItEnded(result)}) while it read the database's revision; nothing was applied.`);
    }
    if (!error) {
      throw new UserError(
        `Alembic ended with ${howItEnded(result)} without a result while it read the database's revision${printedLast(result.stderr)}; nothing was applied. Check input python: it must be the Python that has Alembic.`,
      );
    }
    if (error.kind === 'unknown-current') {
      throw new UserError(
        `Alembic: ${scrubbed(error.message, 300)}: this checkout is older than the database, or a revision file was removed; ` +
          `deploy a commit that has the revision (or restore its file in the directory alembic-config ${iniLabel} points to). Nothing was applied.`,
      );
    }
    const where = error.file ? ` (${label(error.file)}${error.line ? `:${error.line}` : ''})` : '';
    const fix = /No module named '?(psycopg2|psycopg)\b/.test(error.message)
      ? 'install the database driver in that environment (pip install psycopg2-binary)'
      : error.file && path.basename(error.file) !== 'env.py'
        ? 'fix that file'
        : `check alembic-config ${iniLabel} and its env.py: it must connect with sqlalchemy.url (migrate-action sets it from database-url; DATABASE_URL holds it too), and the job must have what env.py imports`;
    throw new UserError(`Alembic could not read the database's revision: ${scrubbed(error.message, 300)}${where}; ${fix}. Nothing was applied.`, {
      location: error.file ? { file: label(error.file), line: error.line } : undefined,
    });
  }

  /**
   * What a stopped or crashed helper left applied, when it could not say: the version table read on the
   * run's own connection (the helper is gone), with the revision graph it read before.
   */
  async function readAfter(ctx: EngineContext, before: HelperState): Promise<HelperState> {
    const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
    const table = `${before.version_table_schema ? `${quote(before.version_table_schema)}.` : ''}${quote(before.version_table)}`;
    const { rows } = await ctx.client.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [table]);
    if (!rows[0]?.found) return stateAtHeads(before, []);
    const heads = await ctx.client.query<{ version_num: string }>(`SELECT version_num FROM ${table}`);
    return stateAtHeads(before, heads.rows.map((row) => row.version_num));
  }

  /**
   * The failure of an upgrade, stamp or downgrade, in one line naming the revision file and line when it
   * is one; `now` says what is applied now, `rolledBack` what became of the failing step's transaction.
   */
  function failure(
    ctx: EngineContext,
    result: SpawnResult,
    doc: HelperResult | undefined,
    after: EngineState,
    what: string,
    now: string,
    rolledBack = '',
    fix = 'Fix the revision, then run again.',
  ): UserError {
    const error = doc?.error;
    if (error?.kind === 'stopped' || result.signal !== null || ctx.signal?.aborted) {
      const why = error?.kind === 'stopped' ? error.message : result.signal !== null ? howItEnded(result) : `the run was cancelled: ${String(ctx.signal?.reason)}`;
      return new EngineFailed(`Alembic was stopped (${why}) while it ${what}: ${now}.`);
    }
    if (!error) {
      return new EngineFailed(`Alembic ended with ${howItEnded(result)} without saying why while it ${what}${printedLast(result.stderr)}; ${now}. See its output above.`);
    }
    const said = scrubbed(error.message, 400);
    const sqlstate = error.pgcode ? ` (SQLSTATE ${error.pgcode})` : '';
    const file = error.file ? label(error.file) : undefined;
    const location = file ? { file, line: error.line } : undefined;
    const graph = graphs.get(after);
    const isRevision = file !== undefined && graph !== undefined && [...graph.applied, ...graph.pending].some((r) => label(r.path) === file);
    if (isRevision) {
      return new EngineFailed(
        `Revision ${file} failed${error.line ? ` at line ${error.line}` : ''}: ${said}${sqlstate}; ${now}${rolledBack}. ${fix}`,
        { location, code: error.pgcode },
      );
    }
    const where = file ? ` (${file}${error.line ? `:${error.line}` : ''})` : '';
    return new EngineFailed(`Alembic failed while it ${what}: ${said}${where}${sqlstate}; ${now}. See its output above.`, { location, code: error.pgcode });
  }

  /** `upgrade` or `stamp` to `target`, then what the database now has (reported as applied for upgrade). */
  async function change(ctx: EngineContext, state: EngineState, mode: 'upgrade' | 'stamp', target: string, toRun: readonly EngineMigration[], what: string): Promise<EngineState> {
    const before = graphOf(state);
    const { result, doc } = await runHelper(ctx, { mode, target }, false);
    const after = doc?.state ? register(doc.state) : await stateAfter(async () => register(await readAfter(ctx, before)), 'Alembic', toRun);
    if (mode === 'upgrade') reportApplied(ctx, toRun, after);
    else ctx.revision(after.revision);
    if (!doc?.ok) {
      const done = recorded(toRun, after);
      const rolledBack = done.length === 0 && toRun.length > 1 ? ' (Alembic ran them in one transaction, which was rolled back)' : '';
      throw failure(ctx, result, doc, after, what, appliedNow(toRun, done, after), rolledBack);
    }
    const done = recorded(toRun, after);
    if (done.length < toRun.length) {
      const missing = toRun.filter((m) => !done.includes(m));
      throw new EngineFailed(
        `Alembic ${mode} ${target} succeeded, but the database does not record ${listed(missing.map((m) => m.fileName), 10)}: ` +
          `does env.py skip revisions or use another version table for ${mode}? ${appliedNow(toRun, done, after)}.`,
      );
    }
    return after;
  }

  /** The argument for upgrade/stamp: target-revision resolved to a full id (`head` when unset). */
  function targetArgument(state: EngineState): string {
    const target = config.targetRevision;
    if (target === undefined || target === 'head' || target === 'heads') return target ?? 'head';
    const resolved = resolveTarget(graphOf(state), target);
    return 'ids' in resolved ? resolved.ids[0]! : target;
  }

  /** The argument of the rollback's `alembic downgrade`, from rollbackPlan. */
  let downgradeTarget = '';

  return {
    name: TOOL,
    unsupported: {},

    async prepare() {
      helper = helperPath();
      if (!existsSync(ini) || !statSync(ini).isFile()) {
        throw new UserError(
          `Input alembic-config ${iniLabel}: ${existsSync(ini) ? 'is a directory, not a file' : 'file not found in the workspace'}; set alembic-config to your alembic.ini, relative to the workspace (and check out the repository first).`,
        );
      }
      python = findPython();
      // Started now, so that Python's start overlaps the connection and the lock; it waits for commands.
      session = startEngineSession(
        { tool: TOOL, program: python, args: helperArgs(helper, ini), cwd: path.dirname(ini), env: {}, resultPipe: true, quiet: true },
        deps.env,
        deps.log,
        deps.signal,
      );
      return `Alembic project ${iniLabel}, run with ${config.tools.python}${python !== config.tools.python ? ` (${python})` : ''}.`;
    },

    async close() {
      await session?.end();
    },

    async readState(ctx, purpose) {
      // plan and check show each pending revision's SQL, from Alembic's offline mode; status and apply do not need it.
      // apply too when the review gates it (lint: error): rendering costs Python a round per revision, so a
      // review that only warns is left to plan and check.
      const sql = (purpose === 'plan' && (config.command === 'plan' || config.command === 'check')) || (config.command === 'apply' && config.lint === 'error');
      return register(await readHelperState(ctx, sql));
    },

    within(state, target) {
      const graph = graphOf(state);
      if (target === undefined && graph.heads.length > 1) {
        const message =
          `The revisions in ${label(graph.script_dir)} have ${graph.heads.length} heads (${describeHeads(graph, graph.heads)}), so Alembic cannot tell what "head" is; ` +
          'join them with alembic merge heads -m "merge heads" and commit the new revision, or set target-revision to one of them.';
        // status only lists what is there; anything that would upgrade refuses before it runs.
        if (config.command === 'status') deps.log.warning(message);
        else throw new UserError(message, { location: { file: iniLabel } });
        return state.pending;
      }
      if (target === undefined) return state.pending;
      const resolved = resolveTarget(graph, target);
      if (!('ids' in resolved)) {
        const dir = label(graph.script_dir);
        if (resolved.problem === 'heads') {
          throw new UserError(
            `Input target-revision head is ambiguous: ${dir} has ${resolved.matches.length} heads (${describeHeads(graph, resolved.matches)}); ` +
              'join them with alembic merge heads, or set target-revision to one of them.',
          );
        }
        if (resolved.problem === 'ambiguous') {
          throw new UserError(`Input target-revision ${target} is the start of several revisions in ${dir} (${listed(resolved.matches, 10)}); give more of the id.`);
        }
        throw new UserError(
          `Input target-revision ${target} is not a revision in ${dir}; use a revision id from its files (the revision = "..." line), e.g. ${graph.heads[0] ?? 'the head'}.`,
        );
      }
      const wanted = new Set(pendingUpTo(graph, resolved.ids).map((r) => r.revision));
      return state.pending.filter((m) => wanted.has(m.id));
    },

    async apply(ctx, state, toRun) {
      if (toRun.length === 0) return state;
      const target = targetArgument(state);
      ctx.log.info(`Running alembic upgrade ${target} (${listed(toRun.map((m) => m.fileName), 10)}) ...`);
      return change(ctx, state, 'upgrade', target, toRun, `applied ${toRun.length} revision(s)`);
    },

    /** Alembic's own walk (what `alembic downgrade <target>` would undo), through the helper. */
    async rollbackPlan(ctx, state, target, withSql) {
      const graph = graphOf(state);
      const nothing = { toUndo: [], target: state.revision, irreversible: [] };
      if (target.kind === 'steps' && target.count > graph.applied.length) {
        throw new UserError(
          `Input target-revision -${target.count} would undo ${target.count} revision(s), but ${graph.applied.length === 0 ? 'none is' : `only ${graph.applied.length} are`} applied; use base (or 0) to undo every applied revision.`,
        );
      }
      if (target.kind === 'revision') {
        const resolved = resolveTarget(graph, target.id);
        if (!('ids' in resolved) || resolved.ids.length !== 1) {
          const dir = label(graph.script_dir);
          throw new UserError(
            'ids' in resolved
              ? `Input target-revision ${target.id} names ${resolved.ids.length} revisions (${listed(resolved.ids, 10)}); a rollback goes back to one: name it, or base.`
              : resolved.problem === 'ambiguous'
                ? `Input target-revision ${target.id} is the start of several revisions in ${dir} (${listed(resolved.matches, 10)}); give more of the id.`
                : `Input target-revision ${target.id} is not a revision in ${dir}; use a revision id from its files, base (or 0) for none, or -N for the last N.`,
          );
        }
        // Not applied: at or above the applied revision.
        if (!graph.applied.some((r) => r.revision === resolved.ids[0])) return nothing;
        downgradeTarget = resolved.ids[0]!;
      } else {
        downgradeTarget = target.kind === 'base' ? 'base' : `-${target.count}`;
      }
      if (graph.current.length === 0) return nothing;
      const { result, doc } = await runHelper(ctx, { mode: 'downgrade-plan', target: downgradeTarget, sql: withSql }, true);
      if (!doc?.ok || !doc.undo) {
        const error = doc?.error;
        if (error?.kind === 'target') {
          const choices = error.choices && error.choices.length > 0 ? `; name the revision to go back to, one of ${describeHeads(graph, error.choices)}` : '';
          throw new UserError(
            `Alembic cannot roll back to target-revision ${config.targetRevision ?? downgradeTarget}: ${scrubbed(error.message, 300)}` +
              `${/ambiguous/i.test(error.message) ? ' (a merge point: going back by a count does not say which branch)' : ''}${choices}. Nothing was changed.`,
          );
        }
        throw new UserError(
          `Alembic could not tell what a downgrade to ${downgradeTarget} would undo: ${scrubbed(error?.message ?? `it ended with ${howItEnded(result)}${printedLast(result.stderr)}`, 300)}. Nothing was changed.`,
        );
      }
      const undo = doc.undo;
      return {
        toUndo: undo.map((r) => ({
          id: r.revision,
          name: r.doc,
          fileName: path.basename(r.path),
          label: label(r.path),
          ...(r.sql !== undefined ? { sql: r.sql } : {}),
          ...(r.sql_note !== undefined ? { sqlNote: r.sql_note } : {}),
          transaction: true,
        })),
        target: revisionAfterUndo(graph, undo.map((r) => r.revision)),
        irreversible: undo.filter((r) => r.irreversible).map((r) => `${label(r.path)} (${r.irreversible})`),
      };
    },

    /** `alembic downgrade <target>`, one transaction per revision; then what the database has. */
    async rollback(ctx, state, plan) {
      const before = graphOf(state);
      ctx.log.info(`Running alembic downgrade ${downgradeTarget} (${listed(plan.toUndo.map((m) => m.fileName), 10)}), each revision in its own transaction ...`);
      const t0 = ctx.clock.now();
      const { result, doc } = await runHelper(ctx, { mode: 'downgrade', target: downgradeTarget }, false);
      const after = doc?.state ? register(doc.state) : await stateAfter(async () => register(await readAfter(ctx, before)), 'Alembic', plan.toUndo);
      const stillApplied = new Set(after.applied.map((r) => r.id));
      const undone = plan.toUndo.filter((m) => !stillApplied.has(m.id));
      for (const m of undone) ctx.undone({ id: m.id, fileName: m.fileName, label: m.label, transaction: true });
      ctx.revision(after.revision);
      const now = `${undone.length} of the ${plan.toUndo.length} undone; the database is at revision ${revisionText(after.revision)}`;
      if (!doc?.ok) {
        throw failure(ctx, result, doc, after, `rolled back ${plan.toUndo.length} revision(s)`, now, ' (its own transaction was rolled back)', "Fix the revision's downgrade(), then run the rollback again.");
      }
      if (undone.length < plan.toUndo.length) {
        throw new EngineFailed(`Alembic downgrade ${downgradeTarget} succeeded, but the database still records ${listed(plan.toUndo.filter((m) => stillApplied.has(m.id)).map((m) => m.fileName), 10)}; ${now}.`);
      }
      ctx.log.info(`Alembic undid ${undone.length} revision(s) in ${ctx.clock.now() - t0} ms; the database is at revision ${revisionText(after.revision)}.`);
      return after;
    },

    async baseline(ctx, state, toRecord) {
      // An applied target needs nothing; stamping it would move alembic_version back.
      if (toRecord.length === 0) return state;
      const target = targetArgument(state);
      ctx.log.info(`Running alembic stamp ${target} (${listed(toRecord.map((m) => m.fileName), 10)}) ...`);
      const after = await change(ctx, state, 'stamp', target, toRecord, `recorded ${toRecord.length} revision(s) without running them`);
      ctx.log.info(`The database is at revision ${revisionText(after.revision)}.`);
      return after;
    },
  };
}
