// Run a command and measure it: wall time from spawn to exit, and peak resident memory through GNU time
// (`/usr/bin/time -f %M`, in KiB) when the machine has it. Output goes to a log file, never to a pipe
// that the benchmark would have to drain (that would cost the measured process time).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';

const GNU_TIME = '/usr/bin/time';
export const HAS_GNU_TIME = existsSync(GNU_TIME);

/**
 * Run `cmd args` with `env` and `cwd`; stdout and stderr are appended to `logFile`. Resolves with
 * `{ ms, rssKiB, code }`; never rejects for a non-zero exit (the caller decides what a failure means).
 */
export function timed({ cmd, args = [], env = process.env, cwd = process.cwd() }, logFile) {
  const rssFile = `${logFile}.rss`;
  const fd = openSync(logFile, 'a');
  const [file, argv] = HAS_GNU_TIME ? [GNU_TIME, ['-f', '%M', '-o', rssFile, cmd, ...args]] : [cmd, args];
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const child = spawn(file, argv, { env, cwd, stdio: ['ignore', fd, fd] });
    const done = (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      closeSync(fd);
      let rssKiB;
      if (HAS_GNU_TIME && existsSync(rssFile)) {
        // GNU time writes "Command exited with non-zero status N" first when the command failed.
        const lines = readFileSync(rssFile, 'utf8').trim().split('\n');
        rssKiB = Number(lines[lines.length - 1]);
        rmSync(rssFile, { force: true });
      }
      resolve({ ms, rssKiB: Number.isFinite(rssKiB) ? rssKiB : undefined, code });
    };
    child.on('error', () => done(127));
    child.on('exit', (code, signal) => done(code ?? (signal ? 128 : 1)));
  });
}

/** Start all `runs` together; resolves when the last exits, with the wall time of the whole group. */
export async function timedTogether(runs, logFile) {
  const start = process.hrtime.bigint();
  const results = await Promise.all(runs.map((run) => timed(run, logFile)));
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, codes: results.map((r) => r.code) };
}

/** The last `lines` lines of a log file, for a failure message. */
export function tail(logFile, lines = 5) {
  if (!existsSync(logFile)) return '';
  return readFileSync(logFile, 'utf8').trim().split('\n').slice(-lines).join('\n');
}
