export const TEST_PASSWORD: string;
export function freePort(): Promise<number>;
export function databaseUrl(options: { port: number; user?: string; password?: string; database?: string; host?: string }): string;
export interface LocalPostgres {
  readonly port: number;
  readonly url: string;
  readonly major: number;
  restart(): Promise<void>;
  stop(): Promise<void>;
}
export const SERVER_VERSIONS: Record<number, string>;
export const SERVER_MAJORS: number[];
export const DEFAULT_MAJOR: number;
export function startLocalPostgres(options?: { password?: string; port?: number; major?: number }): Promise<LocalPostgres>;
export function createDatabase(adminUrl: string, name: string): Promise<string>;
