// The engines workload's projects: the same N migrations in the file format of each engine migrate-action
// can drive (its own postgres-migrations format, Alembic, node-pg-migrate, dbmate), and the two ways to run
// each: through migrate-action (dist/index.js with INPUT_* as the runner sets them) and the tool alone.
// The shapes follow test/support/engines.ts (engineProject), in plain JavaScript.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Debian's Python with Alembic, SQLAlchemy and psycopg2 (the python3 on PATH may lack them). */
export const PYTHON = '/usr/bin/python3';

/** The engines run through migrate-action, in report order. */
export const ENGINES = ['alembic', 'node-pg-migrate', 'dbmate'];

export const ENGINE_LABELS = {
  alembic: 'Alembic',
  'node-pg-migrate': 'node-pg-migrate',
  dbmate: 'dbmate',
};

/** The workload's run ids: `ours-<engine>` (ours-native: the built-in engine) and `<engine>-alone`. */
export const oursId = (engine) => (engine === 'postgres-migrations' ? 'ours-native' : `ours-${engine}`);
export const aloneId = (engine) => `${engine}-alone`;

/** Labels of the workload's runs, for the report. */
export function engineLabels() {
  return {
    'ours-native': 'migrate-action, built-in engine (postgres-migrations)',
    'ours-alembic': 'migrate-action engine: alembic',
    'alembic-alone': 'python3 -m alembic upgrade head',
    'ours-node-pg-migrate': 'migrate-action engine: node-pg-migrate',
    'node-pg-migrate-alone': 'node-pg-migrate up --no-verbose',
    'ours-dbmate': 'migrate-action engine: dbmate',
    'dbmate-alone': 'dbmate --no-dump-schema migrate',
  };
}

/** Migration i of the engines workload: one table, so that the tools' own costs dominate. */
export function engineSql(i) {
  return `CREATE TABLE m${i} (id int);`;
}

// `alembic init`'s generic env.py: logging from the ini, sqlalchemy.url from the ini, online and offline.
export const ENV_PY = `from logging.config import fileConfig

from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config

if config.config_file_name is not None:
    fileConfig(config.config_file_name)

target_metadata = None


def run_migrations_offline():
    url = config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    connectable = engine_from_config(config.get_section(config.config_ini_section), prefix="sqlalchemy.", poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
`;

/** alembic.ini with `url` as sqlalchemy.url (% doubled: the ini interpolates %(name)s). */
export function alembicIni(url) {
  return (
    `[alembic]\nscript_location = %(here)s\nsqlalchemy.url = ${url.replace(/%/g, '%%')}\n\n` +
    '[loggers]\nkeys = root,sqlalchemy,alembic\n\n[handlers]\nkeys = console\n\n[formatters]\nkeys = generic\n\n' +
    '[logger_root]\nlevel = WARN\nhandlers = console\nqualname =\n\n' +
    '[logger_sqlalchemy]\nlevel = WARN\nhandlers =\nqualname = sqlalchemy.engine\n\n' +
    '[logger_alembic]\nlevel = INFO\nhandlers =\nqualname = alembic\n\n' +
    '[handler_console]\nclass = StreamHandler\nargs = (sys.stderr,)\nlevel = NOTSET\nformatter = generic\n\n' +
    // As alembic init writes it: logging's fileConfig reads the formatter raw (a %% would stay doubled).
    '[formatter_generic]\nformat = %(levelname)-5.5s [%(name)s] %(message)s\ndatefmt = %H:%M:%S\n'
  );
}

/** SQLAlchemy's name for a postgres:// URL (postgres is no dialect name in SQLAlchemy 1.4+). */
function sqlalchemyUrl(url) {
  return url.replace(/^postgres:\/\//, 'postgresql://');
}

/**
 * Write migrations 1..n for `engine` into a new directory `dir`. Returns the project:
 * `inputs` (INPUT_* for migrate-action), and `alone(url, tag)`, the tool's own command on database `url`.
 */
export function writeEngineProject(dir, engine, n, root) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  switch (engine) {
    case 'postgres-migrations': {
      for (let i = 1; i <= n; i += 1) writeFileSync(path.join(dir, `${i}_m${i}.sql`), `${engineSql(i)}\n`);
      return { engine, dir, inputs: { 'INPUT_MIGRATIONS-DIR': dir } };
    }
    case 'node-pg-migrate': {
      for (let i = 1; i <= n; i += 1) writeFileSync(path.join(dir, `${i}_m${i}.sql`), `-- Up Migration\n${engineSql(i)}\n\n-- Down Migration\n`);
      const program = path.join(root, 'node_modules', '.bin', 'node-pg-migrate');
      return {
        engine,
        dir,
        inputs: { INPUT_ENGINE: engine, 'INPUT_ENGINE-PATH': program, 'INPUT_MIGRATIONS-DIR': dir },
        alone: (url) => ({ cmd: program, args: ['up', '--migrations-dir', dir, '--no-verbose'], env: { ...process.env, DATABASE_URL: url }, cwd: root }),
      };
    }
    case 'dbmate': {
      for (let i = 1; i <= n; i += 1) {
        const version = `2024010100${String(i).padStart(4, '0')}`;
        writeFileSync(path.join(dir, `${version}_m${i}.sql`), `-- migrate:up\n${engineSql(i)}\n\n-- migrate:down\n`);
      }
      const program = path.join(root, 'node_modules', '.bin', 'dbmate');
      return {
        engine,
        dir,
        inputs: { INPUT_ENGINE: engine, 'INPUT_ENGINE-PATH': program, 'INPUT_MIGRATIONS-DIR': dir },
        alone: (url) => ({
          cmd: program,
          args: ['--no-dump-schema', '--migrations-dir', dir, 'migrate'],
          env: { ...process.env, DATABASE_URL: `${url}${url.includes('?') ? '&' : '?'}sslmode=disable` },
          cwd: root,
        }),
      };
    }
    case 'alembic': {
      const versions = path.join(dir, 'versions');
      mkdirSync(versions);
      const rev = (i) => `r${String(i).padStart(4, '0')}`;
      // migrate-action sets sqlalchemy.url from database-url; the ini holds alembic init's placeholder.
      writeFileSync(path.join(dir, 'alembic.ini'), alembicIni('driver://user:pass@localhost/dbname'));
      writeFileSync(path.join(dir, 'env.py'), ENV_PY);
      writeFileSync(path.join(dir, 'script.py.mako'), '"""${message}"""\nrevision = ${repr(up_revision)}\ndown_revision = ${repr(down_revision)}\n');
      for (let i = 1; i <= n; i += 1) {
        writeFileSync(
          path.join(versions, `${rev(i)}_m${i}.py`),
          `"""m${i}"""\nfrom alembic import op\n\nrevision = "${rev(i)}"\ndown_revision = ${i === 1 ? 'None' : `"${rev(i - 1)}"`}\n` +
            `branch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n    op.execute(${JSON.stringify(engineSql(i))})\n\n\ndef downgrade():\n    pass\n`,
        );
      }
      // Bytecode for env.py and the revisions now, so that no timed run pays for compiling them.
      execFileSync(PYTHON, ['-m', 'compileall', '-q', dir], { stdio: 'ignore' });
      return {
        engine,
        dir,
        inputs: { INPUT_ENGINE: engine, INPUT_PYTHON: PYTHON, 'INPUT_ALEMBIC-CONFIG': path.join(dir, 'alembic.ini') },
        // The tool alone reads the URL from its ini: one ini per database, written before the run is timed.
        alone: (url, tag) => {
          const ini = path.join(dir, `alone-${tag}.ini`);
          writeFileSync(ini, alembicIni(sqlalchemyUrl(url)));
          return { cmd: PYTHON, args: ['-m', 'alembic', '-c', ini, 'upgrade', 'head'], env: process.env, cwd: dir };
        },
      };
    }
    default:
      throw new Error(`unknown engine ${engine}`);
  }
}

/**
 * migrate-action as the runner runs it: node dist/index.js, inputs in INPUT_*, the runner's files for
 * outputs and summary (it creates both before a step starts).
 */
export function oursCommand(root, project, url, tmp, run) {
  const output = path.join(tmp, `output-${run}.txt`);
  const summary = path.join(tmp, `summary-${run}.md`);
  writeFileSync(output, '', { flag: 'a' });
  writeFileSync(summary, '', { flag: 'a' });
  return {
    cmd: process.execPath,
    args: [path.join(root, 'dist', 'index.js')],
    env: {
      ...process.env,
      ...project.inputs,
      'INPUT_DATABASE-URL': url,
      GITHUB_WORKSPACE: root,
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: summary,
    },
    cwd: root,
  };
}

/** The tools' versions for the report: Alembic and SQLAlchemy as the Python above has them. */
export function engineVersions() {
  try {
    const [alembic, sqlalchemy] = execFileSync(PYTHON, ['-c', 'import alembic, sqlalchemy; print(alembic.__version__, sqlalchemy.__version__)'], { encoding: 'utf8' })
      .trim()
      .split(' ');
    return { alembic, sqlalchemy };
  } catch {
    return { alembic: 'not found' };
  }
}
