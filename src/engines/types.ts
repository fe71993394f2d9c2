import type pg from 'pg';
import type { Clock } from '../clock.js';
import type { Command, Config, RollbackTarget } from '../config.js';
import { UserError, type FileLocation } from '../errors.js';
import type { ConnectionWatch, SessionInfo } from '../db/session.js';
import type { Log } from '../log.js';

/**
 * The seam between the shared frame (validate, wait, lock, backup, report: src/run.ts) and a migration
 * tool. The frame never reads an id: revisions, migrations and targets are the engine's own strings.
 */

/** A revision as the engine names it. `none`: nothing is applied (postgres-migrations says `0`, others ''). */
export interface EngineRevision {
  readonly id: string;
  /** A human name (a file's name part, Alembic's message); '' when none. */
  readonly name: string;
  readonly none?: boolean;
}

/** One migration the engine knows from its files. */
export interface EngineMigration {
  /** The engine's own id: postgres-migrations' number, Alembic's revision, dbmate's version, node-pg-migrate's name. */
  readonly id: string;
  readonly name: string;
  /** What the `applied` and `pending` outputs list. */
  readonly fileName: string;
  /** The file as the user would write its path (`<migrations-dir>/<file>`): messages and annotations. */
  readonly label: string;
  /** What apply would run, when the engine can tell without running it. */
  readonly sql?: string;
  /** Why `sql` is missing (e.g. "a .js migration: its SQL is known only when it runs"). */
  readonly sqlNote?: string;
  /** The line of the file `sql` starts at, when `sql` is the file's own text (for annotations); else undefined. */
  readonly sqlLine?: number;
  /** False when the migration runs outside a transaction; undefined when the engine does not say. */
  readonly transaction?: boolean;
}

/** A migration the database records as applied. */
export interface AppliedRecord {
  readonly id: string;
  readonly name: string;
  readonly fileName: string;
  /** When it was applied, as the engine records it (ISO 8601); undefined when it does not record it. */
  readonly appliedAt?: string;
}

export interface EngineState {
  readonly revision: EngineRevision;
  /** Applied, oldest first. */
  readonly applied: readonly AppliedRecord[];
  /** Pending, in the order apply runs them (all of them, target-revision or not). */
  readonly pending: readonly EngineMigration[];
}

/** A migration this run applied. */
export interface AppliedEntry {
  readonly id: string;
  readonly fileName: string;
  readonly label: string;
  /** Undefined when the engine applied several in one go and does not time them one by one. */
  readonly durationMs?: number;
  readonly transaction?: boolean;
}

/** What a rollback will do, from the state read under the lock (or without it, for a dry run). */
export interface RollbackPlan {
  /**
   * The applied migrations to undo, the latest first. `sql` is the SQL that undoes it (the down file,
   * the down section) when the engine can tell without running it; `transaction` how it runs.
   */
  readonly toUndo: readonly EngineMigration[];
  /** The revision the database is at once they are all undone. */
  readonly target: EngineRevision;
  /** Migrations of toUndo that have no way back: one line each, naming the file and what is missing. */
  readonly irreversible: readonly string[];
}

export interface EngineUrlOptions {
  /** Every transaction of the tool's sessions read-only (default_transaction_read_only=on): a probe that must change nothing. */
  readonly readOnly?: boolean;
}

/** What an engine gets for each operation: the run's connection, log, clock and cancellation. */
export interface EngineContext {
  readonly config: Config;
  readonly log: Log;
  readonly clock: Clock;
  readonly signal?: AbortSignal;
  /** The run's own connection (it holds the migration lock for apply and baseline); never left in a transaction. */
  readonly client: pg.Client;
  /** The server process that holds the migration lock; undefined for plan, check and status. */
  readonly lockPid?: number;
  /** What is known of the run's session (server version, backend), and whether the connection is alive. */
  readonly session: Promise<SessionInfo>;
  readonly watch: ConnectionWatch;
  /**
   * The URL for the engine's program: ours, with an application_name unique to this run (the run
   * cancels that name's server sessions when it is cancelled), the settings input in its `options`,
   * and, when the URL has none, the sslmode our connection used. `extraParams` are added only when
   * sslmode is (a driver's own TLS switch). See engineUrl in spawn.ts.
   */
  readonly engineUrl: (extraParams?: Readonly<Record<string, string>>, options?: EngineUrlOptions) => string;
  /** Runs the engine's own program: URL in its environment only, output into the log, stopped on cancel. */
  readonly spawn: SpawnEngine;
  /**
   * Mark the time `work` keeps the engine's program busy on the server (a cancel then cancels the
   * program's sessions, not ours): what `spawn` does by itself, for a program the engine keeps up.
   */
  readonly busy: <T>(work: () => Promise<T>) => Promise<T>;
  /** Record one applied migration the moment it is known (the report tells the truth if a later one fails). */
  readonly applied: (entry: AppliedEntry) => void;
  /** Record one rolled-back migration the moment it is known, likewise. */
  readonly undone: (entry: AppliedEntry) => void;
  /** Set while a migration runs: notices from the server are shown under its name. */
  readonly current: (label: string | undefined) => void;
  /** The database's revision now: called after each migration (and after a failure, with what is true). */
  readonly revision: (revision: EngineRevision) => void;
  /** What is pending, when known before readState returns (it may still refuse, e.g. on drift). */
  readonly pending: (pending: readonly EngineMigration[]) => void;
}

export interface SpawnRequest {
  /** What the log calls it, e.g. `alembic`. */
  readonly tool: string;
  readonly program: string;
  /** Never the URL: it goes in the environment. */
  readonly args: readonly string[];
  readonly cwd: string;
  /** Variables set on top of the job's (e.g. DATABASE_URL with application_name). */
  readonly env: Readonly<Record<string, string>>;
  /** A fourth pipe (fd 3) the program writes machine-readable results to. */
  readonly resultPipe?: boolean;
  /** Lines of output are not logged (a state query that prints JSON only). */
  readonly quiet?: boolean;
}

export interface SpawnResult {
  /** Exit code; null when ended by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The last part of each stream, for error messages (not secret-free: the log redacts, this does not). */
  readonly stdout: string;
  readonly stderr: string;
  /** What the program wrote to fd 3. */
  readonly result: string;
}

export type SpawnEngine = (request: SpawnRequest) => Promise<SpawnResult>;

/** One migration tool behind the seam. */
export interface Engine {
  readonly name: string;
  /**
   * True when the migrations run on the run's own connection (postgres-migrations), which the engine then
   * sets up itself (the settings input). Otherwise the engine's program gets the settings in its URL's
   * options, and the frame sets them on its own connection before the state is read (a search_path
   * decides which table is read).
   */
  readonly runsOnRunConnection?: boolean;
  /** Commands the engine cannot do, each with a one-line reason (refused before any I/O). */
  readonly unsupported: Partial<Record<Command, string>>;
  /**
   * The table the engine keeps its state in (any schema), when copying its rows lets the engine itself
   * apply the pending migrations on a shadow copy of the schema: the shadow run of migrations whose SQL is
   * known only when they run (review/shadow.ts). Undefined: such migrations are not run on the shadow.
   */
  readonly stateTable?: string;
  /**
   * Before the database is touched: read and validate the files, check target-revision, find the tool
   * (its version when it can be read without running it). Throws UserError. Returns a line for the log
   * saying what it found, if it has one.
   */
  prepare(): Promise<string | void>;
  /** What is applied and what is pending. Changes nothing (no table is created). */
  readState(ctx: EngineContext, purpose: 'plan' | 'apply'): Promise<EngineState>;
  /**
   * The pending migrations apply would run for target-revision `target` (undefined: all of them), in
   * order; [] when the target is already applied. Throws UserError for a target the files do not have.
   */
  within(state: EngineState, target: string | undefined): readonly EngineMigration[];
  /** Refusals that need the state but must come before a backup (e.g. a file that ends its own transaction). */
  checkBeforeApply?(ctx: EngineContext, toRun: readonly EngineMigration[]): Promise<void>;
  /**
   * Run `toRun` (pending, up to target-revision), reporting each applied one through ctx.applied. Returns
   * the state afterwards. Throws on failure, after reporting what is applied.
   */
  apply(ctx: EngineContext, state: EngineState, toRun: readonly EngineMigration[]): Promise<EngineState>;
  /** Stop what the engine started (a program it kept up); called once the run is over, however it ended. */
  close?(): Promise<void>;
  /** Record `toRecord` as applied without running them. Returns the state afterwards. */
  baseline?(ctx: EngineContext, state: EngineState, toRecord: readonly EngineMigration[]): Promise<EngineState>;
  /**
   * What rolling back to `target` would undo, and which of those have no way back. Changes nothing.
   * Throws UserError for a target the engine cannot reach (an unknown id, -N beyond what is applied,
   * a walk Alembic finds ambiguous). `withSql`: fill in each one's down SQL where the engine can.
   */
  rollbackPlan(ctx: EngineContext, state: EngineState, target: RollbackTarget, withSql: boolean): Promise<RollbackPlan>;
  /**
   * Undo `plan.toUndo`, latest first, each in its own transaction with its bookkeeping row where the tool
   * allows, reporting each one through ctx.undone (and ctx.revision) as it is known. Returns the state
   * afterwards. Throws on failure, after reporting what is undone.
   */
  rollback(ctx: EngineContext, state: EngineState, plan: RollbackPlan): Promise<EngineState>;
}

export interface EngineDeps {
  readonly log: Log;
  readonly clock: Clock;
  readonly signal?: AbortSignal;
  /** The job's environment (tools are found on its PATH; the children inherit it, without the inputs). */
  readonly env: NodeJS.ProcessEnv;
  readonly workspace: string;
}

/**
 * A migration the engine ran failed (or the engine's program did): one line naming the file, what the
 * database or the tool said, and what is now applied; `location` points at the file (an annotation).
 */
export class EngineFailed extends UserError {
  /** The SQLSTATE, when the tool printed one. */
  readonly code?: string;
  /** What is applied could not be read afterwards: the report must not say. */
  readonly stateUnknown: boolean;

  constructor(message: string, options: { location?: FileLocation; code?: string; stateUnknown?: boolean } = {}) {
    super(message, { location: options.location });
    this.name = 'EngineFailed';
    this.code = options.code;
    this.stateUnknown = options.stateUnknown === true;
  }
}
