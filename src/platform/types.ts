import type { Forge } from '../comment/forges.js';
import type { FileLocation } from '../errors.js';
import type { InputName, OutputName } from '../inputs.js';
import type { Log } from '../log.js';

/** The small surface that differs between GitHub, GitLab and the CLI. Everything else is shared. */
export interface Platform extends Log {
  /** Directory that relative paths (migrations-dir) are resolved against. */
  readonly workspace: string;
  /** Temporary directory of this job (default home of backups). */
  readonly tempDir: string;
  /** The process environment (what `.js` migrations see, without the secret). */
  readonly env: NodeJS.ProcessEnv;
  /**
   * Where pull or merge request comments go from here, and what the token that posts them is called for
   * the user; undefined outside GitHub Actions and GitLab CI.
   */
  readonly forge?: { readonly name: Forge; readonly tokenInput: string };
  /** What to tell the user when database-url is empty; the default speaks of GitHub secrets. */
  readonly emptyDatabaseUrlHint?: string;
  /** The raw input; '' when not given. */
  getInput(name: InputName): string;
  /** Hide a secret from every later log line (GitHub: ::add-mask::). */
  mask(secret: string): void;
  setOutput(name: OutputName, value: string): void;
  writeSummary(markdown: string): Promise<void>;
  /** Report the run's failure and make the process exit with code 1. */
  fail(message: string, location?: FileLocation): void;
}
