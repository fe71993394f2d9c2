import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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

/**
 * Run the built bundle as the GitHub runner does: `node dist/index.js` with INPUT_* variables (names
 * upper-cased, hyphens kept), GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, GITHUB_WORKSPACE. Everything
 * it writes goes to the leak check.
 */
export function runBundle(inputs: Record<string, string>, extraEnv: Record<string, string> = {}): ActionRun {
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
  const result = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'index.js')], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
  const outputText = readFileSync(outputFile, 'utf8');
  const summary = readFileSync(summaryFile, 'utf8');
  recordWritten('bundle stdout', result.stdout);
  recordWritten('bundle stderr', result.stderr);
  recordWritten('GITHUB_OUTPUT', outputText);
  recordWritten('GITHUB_STEP_SUMMARY', summary);
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, outputs: parseOutputFile(outputText), summary };
}
