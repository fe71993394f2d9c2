import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { diesWithUs, engineEnv, engineUrl, runEngineProgram, settingsOptions, startEngineSession } from '../../src/engines/spawn.js';
import { recordingLog } from '../support/engine-context.js';

describe('engineUrl', () => {
  it('sets application_name and, when the URL has none, the sslmode our connection used', () => {
    expect(engineUrl('postgres://u:p%40ss@db:5432/app', 'migrate-action-x-1', false)).toBe('postgres://u:p%40ss@db:5432/app?application_name=migrate-action-x-1&sslmode=disable');
    expect(engineUrl('postgres://u@db/app?application_name=mine&connect_timeout=5', 'ours', true, [], { uselibpqcompat: 'true' })).toBe(
      'postgres://u@db/app?application_name=ours&connect_timeout=5&sslmode=require&uselibpqcompat=true',
    );
  });

  it('keeps an sslmode the URL has, and adds no driver switch then', () => {
    expect(engineUrl('postgres://u@db/app?sslmode=verify-full&sslrootcert=%2Fca.pem', 'ours', true, [], { uselibpqcompat: 'true' })).toBe(
      'postgres://u@db/app?sslmode=verify-full&sslrootcert=%2Fca.pem&application_name=ours',
    );
  });

  it('re-encodes user and password, splitting at the last @ as our own connection does', () => {
    // SQLAlchemy splits at the first @: given this unencoded, it would read "Rt7vQ2@127.0.0.1" as the host.
    expect(engineUrl('postgres://leaky:Xk9@Rt7vQ2@127.0.0.1:5432/a', 'n', false)).toBe('postgres://leaky:Xk9%40Rt7vQ2@127.0.0.1:5432/a?application_name=n&sslmode=disable');
    expect(engineUrl('postgresql://us%20er:p%3Aw%2F%25%23@[::1]:5433/db', 'n', false)).toBe('postgresql://us%20er:p%3Aw%2F%25%23@[::1]:5433/db?application_name=n&sslmode=disable');
    expect(engineUrl('postgres://u@/db?host=%2Fvar%2Frun%2Fpostgresql', 'n', false)).toBe('postgres://u@/db?host=%2Fvar%2Frun%2Fpostgresql&application_name=n&sslmode=disable');
  });

  it('adds the settings to the URL\'s options after its own, escaped as the server splits them; + stays +', () => {
    const url = engineUrl('postgres://u@db/app?options=-c%20work_mem%3D5MB&x=a+b', 'n', false, [
      { name: 'lock_timeout', value: '3s' },
      { name: 'search_path', value: '"my schema",\tpublic' },
      { name: 'app.note', value: 'a\\b -c x=y' },
    ]);
    const options = new URLSearchParams(url.slice(url.indexOf('?') + 1).replace(/\+/g, '%2B')).get('options');
    expect(options).toBe('-c work_mem=5MB -c lock_timeout=3s -c search_path="my\\ schema",\\\tpublic -c app.note=a\\\\b\\ -c\\ x=y');
    expect(url).toContain('x=a%2Bb');
    expect(url).not.toMatch(/options=[^&]*\+/);
  });
});

describe('settingsOptions', () => {
  it('escapes every kind of whitespace and backslashes, so that a value cannot add options of its own', () => {
    expect(settingsOptions([{ name: 'a', value: 'x y\tz\nw\\' }])).toBe('-c a=x\\ y\\\tz\\\nw\\\\');
  });
});

describe('engineEnv', () => {
  it("drops the step's inputs (the URL is among them on GitHub) and sets the engine's variables", () => {
    const env = engineEnv({ PATH: '/bin', 'INPUT_DATABASE-URL': 'secret', input_x: 'y', MIGRATE_INPUT_SETTINGS: 'z', DATABASE_URL: 'old' }, { DATABASE_URL: 'new' });
    expect(env).toEqual({ PATH: '/bin', DATABASE_URL: 'new' });
  });
});

/** A program that answers each line on fd 4 with the line upper-cased on fd 3, and ends on "exit". */
function echoProgram(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'migrate-action-session-'));
  const file = path.join(dir, 'echo.cjs');
  writeFileSync(
    file,
    `const fs = require('node:fs');
const out = fs.createWriteStream(null, { fd: 3 });
let buffered = '';
fs.createReadStream(null, { fd: 4 }).on('data', (chunk) => {
  buffered += chunk;
  let at;
  while ((at = buffered.indexOf('\\n')) >= 0) {
    const line = buffered.slice(0, at);
    buffered = buffered.slice(at + 1);
    console.log('got ' + line);
    if (line === 'exit') process.exit(7);
    out.write(line.toUpperCase() + '\\n');
  }
});
`,
  );
  return file;
}

describe('startEngineSession', () => {
  it('answers commands one line at a time, logs output only when not quiet, and ends when fd 4 closes', async () => {
    const log = recordingLog();
    const session = startEngineSession({ tool: 'echo', program: process.execPath, args: [echoProgram()], cwd: os.tmpdir(), env: {}, resultPipe: true }, process.env, log);
    expect(await session.ask('first', true)).toEqual({ answer: 'FIRST' });
    // Its output and its answers come on different pipes: let the first command's output arrive.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await session.ask('second\nline', false)).toEqual({ answer: 'SECOND LINE' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(log.lines).toEqual(['info: echo: got second line']);
    await session.end();
  });

  it('says the program ended, with its exit code, when it ends before answering', async () => {
    const session = startEngineSession({ tool: 'echo', program: process.execPath, args: [echoProgram()], cwd: os.tmpdir(), env: {}, resultPipe: true }, process.env, recordingLog());
    const reply = await session.ask('exit', true);
    expect(reply).toMatchObject({ ended: { code: 7, signal: null } });
    expect(await session.ask('again', true)).toMatchObject({ ended: { code: 7 } });
  });

  it('says so when the program cannot be started', async () => {
    const session = startEngineSession({ tool: 'nope', program: '/no/such/program', args: [], cwd: os.tmpdir(), env: {}, resultPipe: true }, process.env, recordingLog());
    expect(await session.ask('x', true)).toMatchObject({ ended: { code: null, signal: null, stderr: expect.stringContaining('ENOENT') } });
  });

  it('stops the program when the run is cancelled', async () => {
    const controller = new AbortController();
    const session = startEngineSession({ tool: 'echo', program: process.execPath, args: [echoProgram()], cwd: os.tmpdir(), env: {}, resultPipe: true }, process.env, recordingLog(), controller.signal);
    expect(await session.ask('a', true)).toEqual({ answer: 'A' });
    controller.abort('SIGTERM');
    expect(await session.ask('b', true)).toMatchObject({ ended: { signal: 'SIGTERM' } });
  });
});

describe('runEngineProgram', () => {
  it("returns the program's exit code and the end of its output, and logs each line under the tool's name", async () => {
    const log = recordingLog();
    const result = await runEngineProgram(
      { tool: 't', program: process.execPath, args: ['-e', 'console.log("one\\ntwo"); console.error("::warning::x"); process.exit(3)'], cwd: os.tmpdir(), env: {} },
      process.env,
      log,
    );
    expect(result).toMatchObject({ code: 3, signal: null, stdout: 'one\ntwo\n' });
    expect(log.lines).toEqual(expect.arrayContaining(['info: t: one', 'info: t: two', 'info: t: ::warning::x']));
  });

  it('splits lines at a lone carriage return, cuts a line without an end, and logs at most 10 million characters', async () => {
    const log = recordingLog();
    const started = Date.now();
    const result = await runEngineProgram(
      {
        tool: 't',
        program: process.execPath,
        args: ['-e', 'process.stdout.write("10%\\r20%\\r" + "x".repeat(3e6)); process.stdout.write("\\n" + ("y".repeat(1000) + "\\n").repeat(12000))'],
        cwd: os.tmpdir(),
        env: {},
      },
      process.env,
      log,
    );
    expect(result.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(log.lines.slice(0, 2)).toEqual(['info: t: 10%', 'info: t: 20%']);
    // 3 million x's without an end: pieces of 16 KiB, each cut with a note, none longer.
    expect(log.lines[2]).toMatch(/^info: t: x{16384} … \(\d+ more characters\)$/);
    expect(Math.max(...log.lines.map((l) => l.length))).toBeLessThan(17_000);
    expect(log.lines.filter((l) => l.includes('more output not shown'))).toHaveLength(1);
    expect(log.lines.length).toBeLessThan(12_000);
  });

  it('does not wait for what the program left running with its output open, and stops it', async () => {
    const started = Date.now();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'migrate-action-daemon-'));
    const result = await runEngineProgram({ tool: 't', program: '/bin/sh', args: ['-c', 'sleep 30 & echo $! > pid; echo started'], cwd: dir, env: {} }, process.env, recordingLog());
    expect(result).toMatchObject({ code: 0, stdout: 'started\n' });
    expect(Date.now() - started).toBeLessThan(10_000);
    const pid = Number(readFileSync(path.join(dir, 'pid'), 'utf8'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Gone, or a zombie waiting for a parent that reaps it (a container's PID 1 may never do so).
    const state = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] : 'gone';
    expect(['gone', 'Z']).toContain(state);
  });
});

describe('diesWithUs', () => {
  it.runIf(process.platform === 'linux' && existsSync('/usr/bin/setpriv'))('starts a program through setpriv with the parent-death signal KILL; a missing one as it is', () => {
    expect(diesWithUs(process.execPath, ['-v'])).toEqual(['/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', process.execPath, '-v']]);
    expect(diesWithUs('/no/such/program', ['x'])).toEqual(['/no/such/program', ['x']]);
    expect(diesWithUs('relative/tool', [])).toEqual(['relative/tool', []]);
  });
});

