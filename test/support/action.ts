import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseOutputFile } from '../../scripts/github-output.mjs';
import { recordWritten } from './leaks.js';

export const ROOT = path.resolve('.');

export interface ActionRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly outputs: Record<string, string>;
  readonly summary: string;
}

interface Prepared {
  readonly env: Record<string, string>;
  readonly outputFile: string;
  readonly summaryFile: string;
}

/** The runner's environment for one step: INPUT_* (upper-cased, hyphens kept) and the files it reads back. */
function prepare(inputs: Record<string, string>, extraEnv: Record<string, string>): Prepared {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'migrate-action-runner-'));
  const outputFile = path.join(dir, 'output');
  const summaryFile = path.join(dir, 'summary.md');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  const env: Record<string, string> = {
    PATH: process.env.PATH!,
    HOME: process.env.HOME!,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: ROOT,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: dir,
    ...extraEnv,
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  return { env, outputFile, summaryFile };
}

function collect(prepared: Prepared, code: number | null, stdout: string, stderr: string): ActionRun {
  const outputText = readFileSync(prepared.outputFile, 'utf8');
  const summary = readFileSync(prepared.summaryFile, 'utf8');
  recordWritten('bundle stdout', stdout);
  recordWritten('bundle stderr', stderr);
  recordWritten('GITHUB_OUTPUT', outputText);
  recordWritten('GITHUB_STEP_SUMMARY', summary);
  return { code, stdout, stderr, outputs: parseOutputFile(outputText), summary };
}

const BUNDLE = () => path.join(ROOT, 'dist', 'index.js');

/**
 * Run the built bundle as the GitHub runner does, and wait for it (as another system user when `user` is
 * given). Everything it writes goes to the leak check.
 */
export function runBundle(inputs: Record<string, string>, extraEnv: Record<string, string> = {}, user?: { uid: number; gid: number }): ActionRun {
  const prepared = prepare(inputs, extraEnv);
  let bundle = BUNDLE();
  let cwd = ROOT;
  if (user) {
    // Another user may not be able to reach the checkout: give it its own copy of the bundle.
    cwd = path.dirname(prepared.outputFile);
    cpSync(path.dirname(bundle), path.join(cwd, 'dist'), { recursive: true });
    bundle = path.join(cwd, 'dist', 'index.js');
    prepared.env.GITHUB_WORKSPACE = cwd;
    execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, cwd]);
  }
  const result = spawnSync(process.execPath, [bundle], { cwd, env: prepared.env, encoding: 'utf8', timeout: 120_000, ...user });
  return collect(prepared, result.status, result.stdout, result.stderr);
}

/** Start the bundle as a child process (to race it, or to kill it); `done` resolves when it exits. */
export function startBundle(
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {},
): { child: ChildProcess; printed: () => string; done: Promise<ActionRun> } {
  const prepared = prepare(inputs, extraEnv);
  const child = spawn(process.execPath, [BUNDLE()], { cwd: ROOT, env: prepared.env });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const done = new Promise<ActionRun>((resolve) => child.on('close', (code) => resolve(collect(prepared, code, stdout, stderr))));
  return { child, printed: () => `${stdout}\n${stderr}`, done };
}
