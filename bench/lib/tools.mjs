// The tools under test, the floors they are measured against, and the same migrations written in each
// tool's own file format.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The workload's migration I: a table, an index and a row, as the benchmark's brief defines it. */
export function migrationSql(i) {
  return `CREATE TABLE m${i} (id int PRIMARY KEY, v text);\nCREATE INDEX m${i}_v ON m${i} (v);\nINSERT INTO m${i} VALUES (${i}, 'x');\n`;
}

/** File name and contents of migration `i` in each format. */
export const FORMATS = {
  // postgres-migrations' format: migrate-action, postgres-migrations and the psql floor read it.
  plain: (i) => [`${i}_m${i}.sql`, migrationSql(i)],
  'node-pg-migrate': (i) => [`${i}_m${i}.sql`, `-- Up Migration\n${migrationSql(i)}`],
  postgrator: (i) => [`${i}.do.m${i}.sql`, migrationSql(i)],
  // dbmate orders versions as text: pad them so that 10 comes after 9.
  dbmate: (i) => [`${String(i).padStart(6, '0')}_m${i}.sql`, `-- migrate:up\n${migrationSql(i)}\n-- migrate:down\n`],
};

/** Write migrations 1..n in `format` into a new directory `dir`. */
export function writeMigrations(dir, format, n) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (let i = 1; i <= n; i += 1) {
    const [name, text] = FORMATS[format](i);
    writeFileSync(path.join(dir, name), text);
  }
}

/** The psql floor's script: every file in its own transaction, one session. */
export function writePsqlScript(file, dir, n) {
  const lines = [];
  for (let i = 1; i <= n; i += 1) lines.push('BEGIN;', `\\i '${path.join(dir, FORMATS.plain(i)[0])}'`, 'COMMIT;');
  writeFileSync(file, `${lines.join('\n')}\n`);
}

/** `url` split into the parts postgrator-cli takes as flags. */
function urlParts(url) {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: u.port || '5432',
    database: decodeURIComponent(u.pathname.slice(1)),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  };
}

export const DBMATE_VERSION = '2.36.0';

/**
 * dbmate's Go binary itself (from the npm registry's @dbmate/<platform> package), not the Node wrapper
 * of the `dbmate` package. Installed on first use into .tmp/tools/dbmate: as a devDependency, its
 * other platforms' optional packages would have to be in the lock file, and this registry holds only
 * the one for this machine.
 */
export function ensureDbmate(root) {
  const pkg = `@dbmate/${process.platform}-${process.arch}`;
  const prefix = path.join(root, '.tmp', 'tools', 'dbmate');
  const binary = path.join(prefix, 'node_modules', pkg, 'bin', 'dbmate');
  if (!existsSync(binary)) {
    mkdirSync(prefix, { recursive: true });
    writeFileSync(path.join(prefix, 'package.json'), JSON.stringify({ name: 'bench-dbmate', private: true }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefix', prefix, `${pkg}@${DBMATE_VERSION}`], { stdio: 'ignore' });
  }
  return binary;
}

function dbmateBinary(root) {
  return path.join(root, '.tmp', 'tools', 'dbmate', 'node_modules', '@dbmate', `${process.platform}-${process.arch}`, 'bin', 'dbmate');
}

/**
 * Every tool: `format` is the file format it reads; `node` marks the Node peers (the targets say we must
 * beat each of them); `command(ctx)` gives the process to run, where ctx = { url, dirs, root, tmp, run }.
 * The same command is the apply run (on an empty database) and the no-op run (right after).
 * `contention` gives the command for 8 runners at once when it differs.
 */
export function tools(root) {
  const node = process.execPath;
  const ours = path.join(root, 'bin', 'migrate-action.js');
  return [
    {
      id: 'ours',
      label: 'migrate-action (CLI)',
      format: 'plain',
      ours: true,
      command: ({ url, dirs }) => ({
        cmd: node,
        args: [ours, 'apply', '--database-url', url, '--migrations-dir', dirs.plain],
        env: { ...process.env, CI: '' },
        cwd: root,
      }),
    },
    {
      id: 'ours-action',
      label: 'migrate-action (Action, dist/index.js)',
      format: 'plain',
      ours: true,
      noopOnly: true,
      command: ({ url, dirs, tmp, run }) => {
        // The runner creates both files before a step starts.
        for (const file of [`output-${run}.txt`, `summary-${run}.md`]) writeFileSync(path.join(tmp, file), '', { flag: 'a' });
        return {
        cmd: node,
        args: [path.join(root, 'dist', 'index.js')],
        env: {
          ...process.env,
          'INPUT_DATABASE-URL': url,
          'INPUT_MIGRATIONS-DIR': dirs.plain,
          GITHUB_WORKSPACE: root,
          GITHUB_OUTPUT: path.join(tmp, `output-${run}.txt`),
          GITHUB_STEP_SUMMARY: path.join(tmp, `summary-${run}.md`),
        },
        cwd: root,
        };
      },
    },
    {
      id: 'postgres-migrations',
      label: 'postgres-migrations migrate()',
      format: 'plain',
      node: true,
      command: ({ url, dirs }) => ({
        cmd: node,
        args: [path.join(root, 'bench', 'programs', 'postgres-migrations.mjs'), dirs.plain],
        env: { ...process.env, DATABASE_URL: url },
        cwd: root,
      }),
    },
    {
      id: 'node-pg-migrate',
      label: 'node-pg-migrate',
      format: 'node-pg-migrate',
      node: true,
      command: ({ url, dirs }, extra = []) => ({
        cmd: node,
        args: [path.join(root, 'node_modules', 'node-pg-migrate', 'bin', 'node-pg-migrate.js'), 'up', '-m', dirs['node-pg-migrate'], ...extra],
        env: { ...process.env, DATABASE_URL: url },
        cwd: root,
      }),
      // Its default lock mode fails at once when another run holds the lock.
      contentionArgs: ['--advisory-lock-mode', 'wait'],
    },
    {
      id: 'node-pg-migrate-nst',
      label: 'node-pg-migrate --no-single-transaction',
      format: 'node-pg-migrate',
      node: true,
      command: ({ url, dirs }, extra = []) => ({
        cmd: node,
        args: [path.join(root, 'node_modules', 'node-pg-migrate', 'bin', 'node-pg-migrate.js'), 'up', '-m', dirs['node-pg-migrate'], '--no-single-transaction', ...extra],
        env: { ...process.env, DATABASE_URL: url },
        cwd: root,
      }),
      contentionArgs: ['--advisory-lock-mode', 'wait'],
    },
    {
      id: 'postgrator',
      label: 'postgrator-cli',
      format: 'postgrator',
      node: true,
      command: ({ url, dirs }) => {
        const p = urlParts(url);
        return {
          cmd: node,
          args: [
            path.join(root, 'node_modules', 'postgrator-cli', 'index.js'),
            '--no-config',
            '--host', p.host, '--port', p.port, '--database', p.database, '--username', p.user, '--password', p.password,
            '-m', `${dirs.postgrator}/*`,
          ],
          env: process.env,
          cwd: root,
        };
      },
    },
    {
      id: 'dbmate',
      label: 'dbmate --no-dump-schema (Go)',
      format: 'dbmate',
      command: ({ url, dirs }) => ({
        cmd: dbmateBinary(root),
        args: ['--url', `${url}?sslmode=disable`, '--migrations-dir', dirs.dbmate, '--no-dump-schema', 'up'],
        env: process.env,
        cwd: root,
      }),
    },
  ];
}

/** The floors: what the machine itself costs, measured in the same rounds as the tools. */
export function floors(root) {
  return {
    node: { id: 'node', label: 'node -e 0', command: () => ({ cmd: process.execPath, args: ['-e', '0'] }) },
    nodePg: {
      id: 'node-pg',
      label: 'Node + pg: connect, read migrations, exit',
      command: ({ url }) => ({
        cmd: process.execPath,
        args: [path.join(root, 'bench', 'programs', 'floor-pg.mjs')],
        env: { ...process.env, DATABASE_URL: url },
      }),
    },
    psql: {
      id: 'psql',
      label: 'psql: BEGIN; \\i file; COMMIT; per file',
      command: ({ url, psqlScript }) => ({ cmd: 'psql', args: ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', psqlScript] }),
    },
  };
}
