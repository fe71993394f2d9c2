import net from 'node:net';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { databaseUrl, freePort } from '../../scripts/local-postgres.mjs';
import { runOn } from '../../src/main.js';
import { migrationsDir, recordingPlatform } from '../support/platform.js';

// Refused connections, fatal errors (password, database, SSL) and a server that comes up late are in
// waiting.test.ts; these are the servers that are there but do not answer as PostgreSQL.

const EXAMPLE = 'migrations-example/postgres-migrations';

/** A TCP server on a free loopback port that does `onSocket` with each connection; closed after the test. */
const servers: { server: net.Server; sockets: Set<net.Socket> }[] = [];
afterEach(async () => {
  for (const { server, sockets } of servers.splice(0)) {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function fakeServer(onSocket: (socket: net.Socket) => void): Promise<{ port: number; connections: () => number }> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  servers.push({ server, sockets });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, connections: () => connections };
}

const urlOn = (port: number, host = '127.0.0.1') => databaseUrl({ port, host, password: inject('testPassword') });

async function timed(inputs: Parameters<typeof recordingPlatform>[0]) {
  const p = recordingPlatform({ 'migrations-dir': EXAMPLE, ...inputs });
  const started = Date.now();
  await runOn(p);
  return { p, elapsed: Date.now() - started };
}

describe('waiting for a server that does not answer as PostgreSQL', () => {
  it('gives up after wait-timeout on a server that accepts the connection and never answers', async () => {
    const silent = await fakeServer(() => undefined);
    const { p, elapsed } = await timed({ 'database-url': urlOn(silent.port), 'wait-timeout': '2' });
    expect(elapsed).toBeGreaterThanOrEqual(1_900);
    expect(elapsed).toBeLessThan(6_000);
    expect(p.failed).toMatch(
      new RegExp(`^Database at 127\\.0\\.0\\.1:${silent.port} did not accept connections within wait-timeout \\(2 s, \\d+ attempts?\\); last error: .*(timeout|terminated)`, 'i'),
    );
    expect(p.outputs).toMatchObject({ status: 'failed', revision: '', 'previous-revision': '', 'applied-count': '0' });
  });

  it('retries a server that closes every connection at once (a proxy with no database behind it) until wait-timeout', async () => {
    const closing = await fakeServer((socket) => socket.destroy());
    const { p, elapsed } = await timed({ 'database-url': urlOn(closing.port), 'wait-timeout': '2' });
    expect(elapsed).toBeGreaterThanOrEqual(1_900);
    expect(elapsed).toBeLessThan(6_000);
    expect(closing.connections()).toBeGreaterThanOrEqual(3);
    expect(p.failed).toMatch(
      new RegExp(`^Database at 127\\.0\\.0\\.1:${closing.port} did not accept connections within wait-timeout \\(2 s, \\d+ attempts\\); last error: Connection terminated unexpectedly`),
    );
    expect(p.log()).toMatch(/Database not ready \(Connection terminated unexpectedly( during the SSL request)?\); retrying in 0\.25 s/);
  });

  it('makes one attempt and fails at once with wait-timeout 0', async () => {
    const port = await freePort();
    const { p, elapsed } = await timed({ 'database-url': urlOn(port), 'wait-timeout': '0' });
    expect(elapsed).toBeLessThan(1_500);
    expect(p.failed).toMatch(new RegExp(`^Database at 127\\.0\\.0\\.1:${port} did not accept connections within wait-timeout \\(0 s, 1 attempts\\); last error: connect ECONNREFUSED`));
    expect(p.log()).not.toMatch(/retrying/);
  });

  it('treats a host name that does not resolve (yet) as worth waiting for, and names it', async () => {
    const { p, elapsed } = await timed({ 'database-url': urlOn(5432, 'db.invalid'), 'wait-timeout': '1' });
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(6_000);
    expect(p.failed).toMatch(/^Database at db\.invalid:5432 did not accept connections within wait-timeout \(1 s, \d+ attempts\); last error: getaddrinfo (ENOTFOUND|EAI_AGAIN) db\.invalid/);
  });

  it('says nothing of the password in any message, output or summary of a failed wait', async () => {
    const port = await freePort();
    const { p } = await timed({ 'database-url': urlOn(port), 'wait-timeout': '0' });
    const password = inject('testPassword');
    const everything = [p.log(), p.summary, ...Object.values(p.outputs), ...p.annotations.map((a) => a.message)].join('\n');
    expect(everything).toContain(`127.0.0.1:${port}`);
    for (const form of [password, encodeURIComponent(password)]) expect(everything).not.toContain(form);
    expect(p.masked).toEqual(expect.arrayContaining([password, encodeURIComponent(password)]));
  });

  it('drops the connection it began while reading the files when a file is bad, without waiting for the server', async () => {
    // The first attempt starts alongside the file check; a silent server would hold it until the connect
    // timeout (10 s) and keep the process alive that long. This one reads (and ignores) what it is sent,
    // so that it sees the client close the connection.
    const silent = await fakeServer((socket) => socket.resume());
    const { sockets } = servers[servers.length - 1]!;
    // Enough files that the connection reaches the server while they are read; the last one is bad.
    const contents: Record<string, string | Buffer> = {};
    for (let i = 1; i < 3000; i += 1) contents[`${i}_m${i}.sql`] = `SELECT ${i};`;
    contents['3000_bad.sql'] = Buffer.from([0x53, 0xff, 0x3b]);
    const { p } = await timed({ 'database-url': urlOn(silent.port), 'migrations-dir': migrationsDir(contents), 'wait-timeout': '60' });
    expect(p.failed).toMatch(/3000_bad\.sql is not valid UTF-8/);
    expect(silent.connections()).toBe(1);
    for (let waited = 0; sockets.size > 0 && waited < 5_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sockets.size).toBe(0);
  });
});

