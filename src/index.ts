/**
 * The bundle's entry: the only module with side effects. The GitHub runner runs this file; the package's
 * `bin/migrate-action.js` marks the process as the CLI first and then loads this same bundle.
 */
// First: it must run before pg is loaded.
import './runtime.js';
import { runCli } from './cli.js';
import { messageOf } from './errors.js';
import { run } from './main.js';

const CLI = Symbol.for('migrate-action.cli');

try {
  if ((globalThis as Record<symbol, unknown>)[CLI]) {
    process.exitCode = await runCli(process.argv.slice(2), {
      env: process.env,
      cwd: process.cwd(),
      tty: Boolean(process.stdout.isTTY),
      write: (line) => process.stdout.write(`${line}\n`),
      writeError: (line) => process.stderr.write(`${line}\n`),
      now: () => Math.floor(Date.now() / 1000),
    });
  } else {
    await run();
  }
} catch (error) {
  // runOn reports every expected failure itself; this is the last net for a bug, still one line.
  process.stderr.write(`migrate-action: unexpected error: ${messageOf(error)}\n`);
  process.exitCode = 1;
}
