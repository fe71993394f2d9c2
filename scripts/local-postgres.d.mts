export const TEST_PASSWORD: string;
export class LocalPostgresError extends Error {}
export function freePort(): Promise<number>;
export function databaseUrl(options: { port: number; user?: string; password?: string; database?: string; host?: string }): string;
export interface LocalPostgres {
  readonly port: number;
  readonly url: string;
  readonly major: number;
  /** The data directory (deleted by stop()). */
  readonly dataDir: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
}
export interface LocalPostgresOptions {
  password?: string;
  port?: number;
  major?: number;
  /** Extra server settings, passed as `-c name=value`. */
  settings?: Record<string, string | number | boolean>;
  /** Lines that replace pg_hba.conf's contents. */
  hba?: string[];
  /** PEM certificate and key: written as server.crt and server.key in the data directory, and ssl=on. */
  ssl?: { cert: string; key: string };
  /** The binaries' platform package to run (default: the one installed for `major`). */
  packageDir?: string;
}
export const SERVER_VERSIONS: Record<number, string>;
export const SERVER_MAJORS: number[];
export const DEFAULT_MAJOR: number;
export function serverPackageDir(major: number): string;
export function unreachableDirectory(target: string, user: { uid: number; gid: number }): string | undefined;
export function startLocalPostgres(options?: LocalPostgresOptions): Promise<LocalPostgres>;
export function createDatabase(adminUrl: string, name: string): Promise<string>;
