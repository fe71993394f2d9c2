import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ENV_PY, alembicIni } from '../../bench/lib/engines.mjs';
import type { TestDatabase } from './db.js';

export const REPO = path.resolve('.');
/** Debian's Python with Alembic and psycopg2 (the python3 on a developer's PATH may lack them). */
export const PYTHON = '/usr/bin/python3';
export const NODE_PG_MIGRATE = path.join(REPO, 'node_modules', '.bin', 'node-pg-migrate');
export const DBMATE = path.join(REPO, 'node_modules', '.bin', 'dbmate');

export type EngineId = 'postgres-migrations' | 'alembic' | 'node-pg-migrate' | 'dbmate';
export const ENGINE_IDS: readonly EngineId[] = ['postgres-migrations', 'alembic', 'node-pg-migrate', 'dbmate'];

/** One migration, as SQL, written in each engine's own format by `engineProject`. */
export interface Step {
  readonly name: string;
  readonly sql: string;
  /** Run outside a transaction (where the engine has a way to say so). */
  readonly noTransaction?: boolean;
  /**
   * What undoes it, written where the engine keeps it (postgres-migrations: down/<file>; node-pg-migrate:
   * the Down section; dbmate: -- migrate:down; Alembic: downgrade()). Undefined: no way back (no down
   * file; an empty section; `pass`).
   */
  readonly down?: string;
}

export interface EngineProject {
  readonly engine: EngineId;
  /** The directory the files are in (absolute). */
  readonly dir: string;
  /** The inputs that point the run at this project (engine, migrations-dir or alembic-config, tools). */
  readonly inputs: Record<string, string>;
  /** The engine's id of migration `i` (0-based), as the `revision` output shows it. */
  id(i: number): string;
  /** The file name of migration `i`, as the `applied`/`pending` outputs list it. */
  fileName(i: number): string;
  /** How many migrations the database records as applied (0 when the engine's table is missing). */
  appliedCount(db: Pick<TestDatabase, 'query'>): Promise<number>;
  /** The engine's own bookkeeping table(s) in the database. */
  readonly tables: readonly string[];
}


/** A Python string literal for SQL (triple-quoted, raw-safe). */
function pyString(sql: string): string {
  return JSON.stringify(sql);
}

/**
 * A throwaway project for `engine` holding `steps`, in the engine's own file format: the same schema
 * changes, whatever the tool. Returns what a run needs to point at it.
 */
export function engineProject(engine: EngineId, steps: readonly Step[], root = os.tmpdir()): EngineProject {
  const dir = mkdtempSync(path.join(root, `engine-${engine}-`));
  const count = (table: string, where = '') => async (db: Pick<TestDatabase, 'query'>) => {
    const [found] = await db.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [table]);
    if (!found?.present) return 0;
    const [row] = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}${where}`);
    return Number(row!.n);
  };
  switch (engine) {
    case 'postgres-migrations': {
      const fileName = (i: number) => `${i + 1}_${steps[i]!.name}.sql`;
      steps.forEach((step, i) =>
        writeFileSync(path.join(dir, fileName(i)), `${step.noTransaction ? '-- postgres-migrations disable-transaction\n' : ''}${step.sql}\n`),
      );
      if (steps.some((step) => step.down !== undefined)) mkdirSync(path.join(dir, 'down'));
      steps.forEach((step, i) => {
        if (step.down !== undefined) writeFileSync(path.join(dir, 'down', fileName(i)), `${step.down}\n`);
      });
      return { engine, dir, inputs: { engine, 'migrations-dir': dir }, id: (i) => String(i + 1), fileName, appliedCount: count('migrations', ' WHERE id > 0'), tables: ['migrations'] };
    }
    case 'node-pg-migrate': {
      const fileName = (i: number) => `${i + 1}_${steps[i]!.name}.sql`;
      steps.forEach((step, i) => writeFileSync(path.join(dir, fileName(i)), `-- Up Migration\n${step.sql}\n\n-- Down Migration\n${step.down ?? ''}\n`));
      return {
        engine,
        dir,
        inputs: { engine, 'migrations-dir': dir, 'engine-path': NODE_PG_MIGRATE },
        id: (i) => `${i + 1}_${steps[i]!.name}`,
        fileName,
        appliedCount: count('public.pgmigrations'),
        tables: ['pgmigrations'],
      };
    }
    case 'dbmate': {
      const version = (i: number) => `2024010100${String(i + 1).padStart(4, '0')}`;
      const fileName = (i: number) => `${version(i)}_${steps[i]!.name}.sql`;
      steps.forEach((step, i) =>
        writeFileSync(
          path.join(dir, fileName(i)),
          `-- migrate:up${step.noTransaction ? ' transaction:false' : ''}\n${step.sql}\n\n-- migrate:down\n${step.down ?? ''}\n`,
        ),
      );
      return {
        engine,
        dir,
        inputs: { engine, 'migrations-dir': dir, 'engine-path': DBMATE },
        id: version,
        fileName,
        appliedCount: count('schema_migrations'),
        tables: ['schema_migrations'],
      };
    }
    case 'alembic': {
      const versions = path.join(dir, 'versions');
      mkdirSync(versions);
      const rev = (i: number) => `r${String(i + 1).padStart(4, '0')}`;
      const fileName = (i: number) => `${rev(i)}_${steps[i]!.name.replace(/-/g, '_')}.py`;
      // The same project shape as the benchmark's: alembic init's env.py, its placeholder URL in the ini.
      writeFileSync(path.join(dir, 'alembic.ini'), alembicIni('driver://user:pass@localhost/dbname'));
      writeFileSync(path.join(dir, 'env.py'), ENV_PY);
      writeFileSync(path.join(dir, 'script.py.mako'), '"""${message}"""\nrevision = ${repr(up_revision)}\ndown_revision = ${repr(down_revision)}\n');
      steps.forEach((step, i) => {
        const body = step.noTransaction
          ? `    with op.get_context().autocommit_block():\n        op.execute(${pyString(step.sql)})\n`
          : `    op.execute(${pyString(step.sql)})\n`;
        writeFileSync(
          path.join(versions, fileName(i)),
          `"""${step.name}"""\nfrom alembic import op\n\nrevision = "${rev(i)}"\ndown_revision = ${i === 0 ? 'None' : `"${rev(i - 1)}"`}\nbranch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n${body}\n\ndef downgrade():\n${step.down === undefined ? '    pass' : `    op.execute(${pyString(step.down)})`}\n`,
        );
      });
      return {
        engine,
        dir,
        inputs: { engine, 'alembic-config': path.join(dir, 'alembic.ini'), python: PYTHON },
        id: rev,
        fileName,
        appliedCount: async (db) => {
          const [found] = await db.query<{ present: boolean }>("SELECT to_regclass('alembic_version') IS NOT NULL AS present");
          if (!found?.present) return 0;
          const [row] = await db.query<{ v: string | null }>('SELECT max(version_num) AS v FROM alembic_version');
          return row?.v ? Number(row.v.slice(1)) : 0;
        },
        tables: ['alembic_version'],
      };
    }
  }
}

/** Five schema changes with their downs: the rollback contract's set (apply 5, roll back to 3, ...). */
export const FIVE_STEPS: readonly Step[] = [
  { name: 'create-users', sql: 'CREATE TABLE users (id bigserial PRIMARY KEY, name text NOT NULL);', down: 'DROP TABLE users;' },
  { name: 'add-email', sql: 'ALTER TABLE users ADD COLUMN email text;', down: 'ALTER TABLE users DROP COLUMN email;' },
  {
    name: 'create-posts',
    sql: 'CREATE TABLE posts (id bigserial PRIMARY KEY, user_id bigint REFERENCES users (id), body text);',
    down: 'DROP TABLE posts;',
  },
  { name: 'index-posts', sql: 'CREATE INDEX posts_user_id ON posts (user_id);', down: 'DROP INDEX posts_user_id;' },
  {
    name: 'add-status',
    sql: "ALTER TABLE posts ADD COLUMN status text NOT NULL DEFAULT 'draft'; CREATE TYPE mood AS ENUM ('happy', 'sad');",
    down: 'DROP TYPE mood; ALTER TABLE posts DROP COLUMN status;',
  },
];

/** The three schema changes every engine's contract test applies. */
export const THREE_STEPS: readonly Step[] = [
  { name: 'create-users', sql: 'CREATE TABLE users (id bigserial PRIMARY KEY, name text NOT NULL);' },
  { name: 'add-email', sql: 'ALTER TABLE users ADD COLUMN email text;' },
  { name: 'create-posts', sql: 'CREATE TABLE posts (id bigserial PRIMARY KEY, user_id bigint REFERENCES users (id), body text);' },
];
