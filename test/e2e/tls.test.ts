import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPostgres, type LocalPostgres } from '../../scripts/local-postgres.mjs';
import { localPgDump } from '../support/db.js';
import { migrationsDir } from '../support/platform.js';
import { engineProject } from '../support/engines.js';
import { ARTIFACTS, shippedSuite, type Artifact } from '../support/shipped.js';

// sslmode with libpq's meaning, for our connection and for pg_dump's, against real servers with
// self-signed certificates: one that accepts only SSL, one without SSL, one that accepts only plain.
// Each run applies a migration that records whether its own session is encrypted, and takes a backup
// (on the SSL-only server, pg_dump gets in only if it uses SSL too). The servers are PostgreSQL 15, the
// version of the machine's pg_dump.

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
if (!hasOpenssl && process.env.CI) throw new Error('openssl is missing: .ci/run should have installed it');
const dump = localPgDump();

const { run } = shippedSuite();

interface Certificate {
  readonly cert: string;
  readonly key: string;
  readonly certFile: string;
}

function certificate(subject: string, altNames: string): Certificate {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'migrate-action-cert-'));
  const keyFile = path.join(dir, 'server.key');
  const certFile = path.join(dir, 'server.crt');
  execFileSync(
    'openssl',
    ['req', '-new', '-x509', '-days', '1', '-nodes', '-subj', subject, '-addext', `subjectAltName=${altNames}`, '-keyout', keyFile, '-out', certFile],
    { stdio: 'ignore' },
  );
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), certFile };
}

/** A server, reached for set-up through its Unix socket (which its pg_hba.conf always trusts). */
interface Server {
  readonly server: LocalPostgres;
  /** A fresh database: its TCP URL (with `query` appended) and an admin client through the socket. */
  database(query: string): Promise<{ url: string; admin: pg.Client }>;
}

const SOCKET_TRUST = 'local all all trust';

async function server(options: Parameters<typeof startLocalPostgres>[0]): Promise<Server> {
  const started = await startLocalPostgres({ major: 15, ...options });
  let n = 0;
  return {
    server: started,
    async database(query) {
      const name = `tls_${process.pid}_${(n += 1)}`;
      const socket = { host: started.dataDir, port: started.port, user: 'postgres' };
      const postgres = new pg.Client({ ...socket, database: 'postgres' });
      await postgres.connect();
      await postgres.query(`CREATE DATABASE "${name}"`).finally(() => postgres.end());
      const admin = new pg.Client({ ...socket, database: name });
      await admin.connect();
      const url = new URL(started.url);
      url.pathname = `/${name}`;
      return { url: `${url.toString()}${query ? `?${query}` : ''}`, admin };
    },
  };
}

let sslOnly: Server;
let noSsl: Server;
let plainOnly: Server;
let good: Certificate;
let other: Certificate;

beforeAll(async () => {
  if (!hasOpenssl) return;
  good = certificate('/CN=localhost', 'DNS:localhost,IP:127.0.0.1');
  other = certificate('/CN=other.example', 'DNS:other.example');
  [sslOnly, noSsl, plainOnly] = await Promise.all([
    server({ ssl: good, hba: [SOCKET_TRUST, 'hostssl all all 127.0.0.1/32 scram-sha-256'] }),
    server({ hba: [SOCKET_TRUST, 'host all all 127.0.0.1/32 scram-sha-256'] }),
    server({ ssl: other, hba: [SOCKET_TRUST, 'hostnossl all all 127.0.0.1/32 scram-sha-256'] }),
  ]);
}, 120_000);
afterAll(async () => {
  await Promise.all([sslOnly, noSsl, plainOnly].map((s) => s?.server.stop()));
});

const RECORD_TLS = { '1_tls.sql': 'CREATE TABLE tls_seen AS SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid();\n' };

/** Apply with a backup on `target` with `query`; returns the result and whether the migration's session was encrypted. */
async function attempt(artifact: Artifact, target: () => Server, query: string) {
  const { url, admin } = await target().database(query);
  try {
    const result = await run(artifact, { url }, migrationsDir(RECORD_TLS), { 'database-url': url, backup: 'true', 'backup-dir': migrationsDir({}) });
    const seen = await admin.query<{ ssl: boolean }>('SELECT ssl FROM tls_seen').catch(() => ({ rows: [] as { ssl: boolean }[] }));
    return { result, encrypted: seen.rows[0]?.ssl };
  } finally {
    await admin.end();
  }
}

const certFile = (which: () => Certificate) => () => encodeURIComponent(which().certFile);

type Case = [label: string, target: () => Server, query: () => string, outcome: { encrypted: boolean } | RegExp];

const CASES: Case[] = [
  // A server that accepts only SSL (pg_hba.conf: hostssl): pg_dump gets in only with SSL too.
  ['SSL-only server, no sslmode (prefer)', () => sslOnly, () => '', { encrypted: true }],
  ['SSL-only server, prefer', () => sslOnly, () => 'sslmode=prefer', { encrypted: true }],
  ['SSL-only server, allow (plain refused, then SSL)', () => sslOnly, () => 'sslmode=allow', { encrypted: true }],
  ['SSL-only server, require with a self-signed certificate', () => sslOnly, () => 'sslmode=require', { encrypted: true }],
  ['SSL-only server, verify-ca with its certificate as root', () => sslOnly, () => `sslmode=verify-ca&sslrootcert=${certFile(() => good)()}`, { encrypted: true }],
  ['SSL-only server, verify-full with its certificate as root', () => sslOnly, () => `sslmode=verify-full&sslrootcert=${certFile(() => good)()}`, { encrypted: true }],
  ['SSL-only server, disable', () => sslOnly, () => 'sslmode=disable', /accepts this user only over SSL \(.*\); remove sslmode=disable from database-url/],
  ['SSL-only server, verify-ca without a root certificate', () => sslOnly, () => 'sslmode=verify-ca', /sslmode=verify-ca verifies the server's certificate, but database-url has no sslrootcert/],
  [
    'SSL-only server, verify-full with another CA',
    () => sslOnly,
    () => `sslmode=verify-full&sslrootcert=${certFile(() => other)()}`,
    /The server's certificate could not be verified \(.*\) with sslmode=verify-full; point sslrootcert in database-url at the CA that signed it/,
  ],
  // A server without SSL.
  ['server without SSL, no sslmode (prefer)', () => noSsl, () => '', { encrypted: false }],
  ['server without SSL, allow', () => noSsl, () => 'sslmode=allow', { encrypted: false }],
  ['server without SSL, disable', () => noSsl, () => 'sslmode=disable', { encrypted: false }],
  ['server without SSL, require', () => noSsl, () => 'sslmode=require', /The server does not accept SSL connections, but sslmode=require in database-url requires SSL/],
  // A server with SSL that accepts only plain connections (pg_hba.conf: hostnossl).
  ['plain-only server, prefer (SSL refused, then plain)', () => plainOnly, () => 'sslmode=prefer', { encrypted: false }],
  ['plain-only server, require', () => plainOnly, () => 'sslmode=require', /accepts this user only without SSL \(.*\); use sslmode=prefer or sslmode=disable/],
  [
    'plain-only server, verify-full with a certificate for another name',
    () => plainOnly,
    () => `sslmode=verify-full&sslrootcert=${certFile(() => other)()}`,
    /The server's certificate is not issued for the host in database-url \(.*\); with sslmode=verify-full the host must be one of the names in the certificate/,
  ],
];

describe.skipIf(!hasOpenssl || !dump || dump.major < 15).each(ARTIFACTS)('sslmode as libpq means it, for apply and backup, through the %s', (artifact) => {
  it.each(CASES)('%s', async (_, target, query, outcome) => {
    const { result, encrypted } = await attempt(artifact, target, query());
    expect(result.log).not.toMatch(/SECURITY WARNING/);
    if (outcome instanceof RegExp) {
      expect(result.code).toBe(1);
      expect(result.outputs.status).toBe('failed');
      expect(result.log).toMatch(outcome);
      expect(encrypted).toBeUndefined();
    } else {
      expect(result.code, result.log).toBe(0);
      expect(result.outputs.status).toBe('applied');
      expect(encrypted).toBe(outcome.encrypted);
      expect(existsSync(result.outputs['backup-path']!)).toBe(true);
    }
  });
});

// The tools get the sslmode our own connection used when the URL has none: encrypted on a server that
// accepts only SSL, plain on one without SSL (dbmate alone would insist on SSL and fail there).
describe.skipIf(!hasOpenssl).each(['alembic', 'node-pg-migrate', 'dbmate'] as const)('engine %s sees our TLS behaviour', (engine) => {
  it.each([
    ['an SSL-only server', () => sslOnly, true],
    ['a server without SSL', () => noSsl, false],
  ] as const)('on %s, with no sslmode in the URL', async (_, target, encrypted) => {
    const { url, admin } = await target().database('');
    try {
      const project = engineProject(engine, [{ name: 'tls', sql: 'CREATE TABLE tls_seen AS SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid();' }]);
      const result = await run('action', { url }, project.dir, project.inputs);
      expect(result.code, result.log).toBe(0);
      expect((await admin.query<{ ssl: boolean }>('SELECT ssl FROM tls_seen')).rows).toEqual([{ ssl: encrypted }]);
    } finally {
      await admin.end();
    }
  });
});
