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

// GitHub and GitLab stop a cancelled or timed-out job with SIGINT or SIGTERM, and kill it a few seconds
// later. The first signal cancels the run: the statement running on the server is cancelled (a migration
// is rolled back), child processes are stopped, and outputs, summary and report are still written. A
// second signal ends the process at once.
const cancel = new AbortController();
const onSignal = (signal: NodeJS.Signals) => {
  if (cancel.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
  process.stderr.write(`migrate-action: ${signal} received: cancelling the run.\n`);
  cancel.abort(signal);
};
process.on('SIGTERM', onSignal);
process.on('SIGINT', onSignal);

// npx runs the CLI under `sh -c`, and on SIGTERM it ends that shell without passing the signal on: the
// CLI would run on unseen, orphaned. Under npx (npm sets npm_command=exec), an end of the parent process
// is therefore a cancellation too; a run started any other way may outlive its parent on purpose.
const parent = process.ppid;
const underNpx = process.env.npm_command === 'exec';
const orphaned = setInterval(() => {
  if (underNpx && process.ppid !== parent && !cancel.signal.aborted) {
    process.stderr.write('migrate-action: the parent process ended: cancelling the run.\n');
    cancel.abort('its parent process ended');
  }
}, 250);
orphaned.unref();

try {
  if ((globalThis as Record<symbol, unknown>)[CLI]) {
    process.exitCode = await runCli(process.argv.slice(2), {
      signal: cancel.signal,
      env: process.env,
      cwd: process.cwd(),
      tty: Boolean(process.stdout.isTTY),
      write: (line) => process.stdout.write(`${line}\n`),
      writeError: (line) => process.stderr.write(`${line}\n`),
      now: () => Math.floor(Date.now() / 1000),
    });
  } else {
    await run(cancel.signal);
  }
} catch (error) {
  // runOn reports every expected failure itself; this is the last net for a bug, still one line.
  process.stderr.write(`migrate-action: unexpected error: ${messageOf(error)}\n`);
  process.exitCode = 1;
}
process.off('SIGTERM', onSignal);
process.off('SIGINT', onSignal);
clearInterval(orphaned);
