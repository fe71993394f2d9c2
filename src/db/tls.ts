import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type tls from 'node:tls';
import { UserError, messageOf } from '../errors.js';

/**
 * `sslmode` with libpq's meaning, for our connections as for pg_dump's (which is libpq itself). The pg
 * driver gives the modes meanings of its own (it treats `require` as `verify-full`, prints a warning
 * about it, and has no fallback for `prefer` and `allow`), so we negotiate TLS ourselves, as libpq
 * does, and hand the driver a stream that is already plain or encrypted:
 *
 * | mode | TLS | server certificate |
 * |---|---|---|
 * | `disable` | never | - |
 * | `allow` | only if the server refuses the plain connection | not checked |
 * | `prefer` (the default) | if the server offers it, else plain on the same connection | not checked |
 * | `require` | always | not checked, unless a root certificate is given (then as `verify-ca`) |
 * | `verify-ca` | always | signed by `sslrootcert` (or ~/.postgresql/root.crt; `system`: the system's CAs) |
 * | `verify-full` | always | as `verify-ca`, and issued for the host name |
 *
 * Unix sockets never use TLS, as in libpq.
 */
export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** URL parameters about TLS: read here, removed before the URL reaches the driver. */
const TLS_PARAMS = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'sslpassword', 'sslnegotiation', 'ssl', 'uselibpqcompat'];

export interface TlsSettings {
  readonly mode: SslMode;
  /** A file, or `system`; undefined = libpq's default file when it exists. */
  readonly rootCert?: string;
  readonly cert?: string;
  readonly key?: string;
}

/** The query string of a connection URL, parsed (libpq's `user@/db?host=/socket` form too). */
function queryOf(url: string): URLSearchParams {
  const at = url.indexOf('?');
  return new URLSearchParams(at < 0 ? '' : url.slice(at + 1).split('#')[0]);
}

/** The TLS parameters of a URL. Pure (config.ts has already refused unknown modes). */
export function tlsSettings(url: string): TlsSettings {
  const query = queryOf(url);
  // As libpq 16 does: the system's CAs mean verify-full unless said otherwise (config.ts refuses weaker modes).
  const mode = (query.get('sslmode') || (query.get('sslrootcert') === 'system' ? 'verify-full' : 'prefer')) as SslMode;
  return { mode, rootCert: query.get('sslrootcert') || undefined, cert: query.get('sslcert') || undefined, key: query.get('sslkey') || undefined };
}

/** The URL without its TLS parameters: what the driver is given (it would otherwise apply its own meaning). Pure. */
export function withoutTlsParams(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const query = new URLSearchParams(url.slice(at + 1));
  for (const name of TLS_PARAMS) query.delete(name);
  const rest = query.toString();
  return rest === '' ? url.slice(0, at) : `${url.slice(0, at)}?${rest}`;
}

/** libpq's default files, in ~/.postgresql. */
function defaultFile(name: string): string | undefined {
  const file = path.join(os.homedir(), '.postgresql', name);
  return existsSync(file) ? file : undefined;
}

/** Where a TLS setting goes wrong in a way that waiting cannot fix: the message says what to change. */
export class TlsProblem extends UserError {
  /** The TLS handshake itself failed (prefer then tries a plain connection, as libpq does). */
  handshake = false;
}

/**
 * The options for tls.connect in `mode`: whether to verify the chain, and the host name. Reads the
 * certificate files (a missing one is a TlsProblem naming it).
 */
export function tlsOptions(settings: TlsSettings, host: string): tls.ConnectionOptions {
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new TlsProblem(`${what} ${file} in database-url cannot be read (${messageOf(error)}); fix the path, or remove it.`, { cause: error });
    }
  };
  const options: tls.ConnectionOptions = { host };
  // SNI is a host name, never an address.
  if (net.isIP(host) === 0) options.servername = host;
  const cert = settings.cert ?? defaultFile('postgresql.crt');
  const key = settings.key ?? defaultFile('postgresql.key');
  if (cert && key) {
    options.cert = read(cert, 'sslcert');
    options.key = read(key, 'sslkey');
  }
  const rootFile = settings.rootCert ?? defaultFile('root.crt');
  const verify = settings.mode === 'verify-ca' || settings.mode === 'verify-full' || (settings.mode === 'require' && rootFile !== undefined);
  if (!verify) {
    options.rejectUnauthorized = false;
    return options;
  }
  if (rootFile === undefined) {
    throw new TlsProblem(
      `sslmode=${settings.mode} verifies the server's certificate, but database-url has no sslrootcert and ~/.postgresql/root.crt does not exist; ` +
        'add sslrootcert=/path/to/ca.pem (the CA that signed the server certificate), or sslrootcert=system for the system\'s trusted CAs, ' +
        'or use sslmode=require to encrypt without verifying.',
    );
  }
  if (rootFile !== 'system') options.ca = read(rootFile, 'sslrootcert');
  options.rejectUnauthorized = true;
  // verify-ca (and require with a root certificate): the chain, not the name.
  if (settings.mode !== 'verify-full') options.checkServerIdentity = () => undefined;
  return options;
}

/** A TCP or Unix socket connected to the server, or an error; `socket` is there to be destroyed at any time. */
export function dial(host: string, port: number, socket: net.Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    // Destroyed before it connected (the run gave up on it): a close without an error.
    const closed = () => reject(new Error('Connection terminated unexpectedly before it was made'));
    socket.once('error', reject);
    socket.once('close', closed);
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.off('close', closed);
      socket.setNoDelay(true);
      // TCP keepalives: a connection that stays quiet through a long backup is not dropped by a firewall.
      if (!host.startsWith('/')) socket.setKeepAlive(true, 10_000);
      resolve();
    });
    if (host.startsWith('/')) socket.connect(path.join(host, `.s.PGSQL.${port}`));
    else socket.connect(port, host);
  });
}

/** Ask for TLS (SSLRequest) and read the server's one-byte answer: 'S' yes, 'N' no. */
function requestTls(socket: net.Socket): Promise<'S' | 'N'> {
  return new Promise((resolve, reject) => {
    const onData = (data: Buffer) => {
      cleanup();
      const answer = String.fromCharCode(data[0]!);
      if (data.length > 1) {
        reject(new Error('the server sent more than its answer to the SSL request'));
      } else if (answer === 'S' || answer === 'N') {
        resolve(answer);
      } else {
        reject(new Error('the server answered the SSL request with an error'));
      }
    };
    // Worded as the driver words a connection that ends while it starts, so that waiting retries it.
    const onClose = () => {
      cleanup();
      reject(new Error('Connection terminated unexpectedly during the SSL request'));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
    };
    socket.on('data', onData);
    socket.once('error', onError);
    socket.once('close', onClose);
    const request = Buffer.alloc(8);
    request.writeInt32BE(8, 0);
    request.writeInt32BE(80_877_103, 4);
    socket.write(request);
  });
}

/** Node's TLS is loaded only when a connection uses it (loading it costs every run a few milliseconds). */
async function startTls(socket: net.Socket, options: tls.ConnectionOptions): Promise<tls.TLSSocket> {
  const { connect } = await import('node:tls');
  return new Promise((resolve, reject) => {
    const secure = connect({ ...options, socket });
    secure.once('error', reject);
    secure.once('secureConnect', () => {
      secure.off('error', reject);
      resolve(secure);
    });
  });
}

/**
 * A stream for the driver that is already connected: the driver calls connect() on the stream it is
 * given and waits for 'connect', so that call is answered at once.
 */
function readyStream(stream: net.Socket): net.Socket {
  (stream as unknown as { connect: () => net.Socket }).connect = () => {
    setImmediate(() => stream.emit('connect'));
    return stream;
  };
  return stream;
}

/**
 * Open the connection and negotiate TLS as `settings.mode` says; `tls` is false for `allow`'s first
 * try and for `disable`. Returns the stream to give the driver, and whether it is encrypted.
 */
export async function openStream(
  host: string,
  port: number,
  settings: TlsSettings,
  useTls: boolean,
  socket: net.Socket,
): Promise<{ stream: net.Socket; encrypted: boolean }> {
  await dial(host, port, socket);
  if (!useTls || host.startsWith('/')) return { stream: readyStream(socket), encrypted: false };
  const options = tlsOptions(settings, host);
  const answer = await requestTls(socket);
  if (answer === 'N') {
    if (settings.mode === 'prefer' || settings.mode === 'allow') return { stream: readyStream(socket), encrypted: false };
    throw new TlsProblem(
      `The server does not accept SSL connections, but sslmode=${settings.mode} in database-url requires SSL; ` +
        'turn ssl on in the server, or use sslmode=prefer (SSL when offered) or sslmode=disable.',
    );
  }
  try {
    return { stream: readyStream(await startTls(socket, options)), encrypted: true };
  } catch (error) {
    const problem = new TlsProblem(certificateAdvice(error, settings.mode), { cause: error });
    problem.handshake = true;
    throw problem;
  }
}

/** What to change when the TLS handshake fails: never "set sslmode=require" when it is already set. */
function certificateAdvice(error: unknown, mode: SslMode): string {
  const message = messageOf(error);
  const code = (error as { code?: unknown }).code;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return (
      `The server's certificate is not issued for the host in database-url (${message}); with sslmode=verify-full the host must be ` +
      'one of the names in the certificate: connect by that name, or use sslmode=verify-ca to check the signature only.'
    );
  }
  if (typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO/.test(code)) {
    return (
      `The server's certificate could not be verified (${message}) with sslmode=${mode}; point sslrootcert in database-url at the CA ` +
      'that signed it (for a self-signed certificate, the certificate itself), or use sslmode=require to encrypt without verifying.'
    );
  }
  return mode === 'prefer' || mode === 'allow'
    ? `The SSL handshake with the server failed (${message}), and so did a plain connection; check the server's SSL settings, or use sslmode=disable.`
    : `The SSL handshake with the server failed (${message}) with sslmode=${mode}; check the server's SSL settings, or use sslmode=prefer to fall back to a plain connection.`;
}
