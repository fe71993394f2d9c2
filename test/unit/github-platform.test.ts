import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as core from '@actions/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { githubPlatform, outputBlock, workflowCommand } from '../../src/platform/github.js';

/**
 * Our runner protocol against @actions/core's, byte for byte: the same calls with the same awkward values
 * (newlines, %, :, commas, CR, non-ASCII) must write the same stdout and the same files. Only the random
 * delimiter of an output block differs between two writes, so it is replaced before comparing.
 */
const AWKWARD = ['plain', 'two\nlines', 'per%cent 100%', 'a:b,c', 'cr\r\nlf', 'ünïcödé ✓', ' padded ', '', '%0A literal', 'x'.repeat(300)];

// One pair of files, emptied before each capture: @actions/core's summary keeps the first path it saw.
const dir = mkdtempSync(path.join(os.tmpdir(), 'migrate-action-gh-'));
function files() {
  const output = path.join(dir, 'output');
  const summary = path.join(dir, 'summary.md');
  writeFileSync(output, '');
  writeFileSync(summary, '');
  return { output, summary };
}

const normalize = (text: string) => text.replace(/ghadelimiter_[0-9a-f-]{36}/g, 'ghadelimiter_X');

/** Run `calls` with stdout captured and fresh GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files. */
async function capture(calls: (env: NodeJS.ProcessEnv) => Promise<void>) {
  const { output, summary } = files();
  const saved = { GITHUB_OUTPUT: process.env.GITHUB_OUTPUT, GITHUB_STEP_SUMMARY: process.env.GITHUB_STEP_SUMMARY };
  process.env.GITHUB_OUTPUT = output;
  process.env.GITHUB_STEP_SUMMARY = summary;
  let stdout = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += chunk.toString();
    return true;
  });
  try {
    await calls(process.env);
  } finally {
    spy.mockRestore();
    Object.assign(process.env, saved);
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
  }
  return { stdout: normalize(stdout), output: normalize(readFileSync(output, 'utf8')), summary: readFileSync(summary, 'utf8') };
}

afterEach(() => {
  process.exitCode = undefined;
});

describe('GitHub runner protocol', () => {
  it.each(AWKWARD)('writes what @actions/core writes for %j', async (value) => {
    // A log line with a line break is where we differ on purpose (see the next test).
    const plain = !/[\r\n]/.test(value);
    const theirs = await capture(async () => {
      core.setSecret(value);
      if (plain) core.info(value);
      core.warning(value);
      core.error(value, { file: `db/${value}.sql`, startLine: 3, startColumn: 7, title: 'migrate-action' });
      core.error(value, { file: 'a.sql', title: 'migrate-action' });
      await core.group(value, async () => core.info('inside'));
      core.setOutput('status', value);
      await core.summary.addRaw(value, true).write();
    });
    const ours = await capture(async (env) => {
      const gh = githubPlatform(env);
      gh.mask(value);
      if (plain) gh.info(value);
      gh.warning(value);
      gh.error(value, { file: `db/${value}.sql`, line: 3, column: 7 });
      gh.error(value, { file: 'a.sql' });
      await gh.group(value, async () => gh.info('inside'));
      gh.setOutput('status', value);
      await gh.writeSummary(value);
    });
    expect(ours).toEqual(theirs);
  });

  it.each([
    ['a line break', 'file 2_x\n::set-output name=revision::999\n::add-mask::x'],
    ['a carriage return', 'notice\r::error::forged'],
    ['a command at the start', '::warning::forged'],
    ['the legacy syntax', '##[set-output name=revision;]999'],
    ['the legacy syntax inside a line', 'NOTICE from db/1.sql: x ##[add-mask]secret'],
  ])('shows a log line holding %s between stop-commands and a token it cannot know', (_, text) => {
    const lines: string[] = [];
    githubPlatform({}, (t) => lines.push(t)).info(text);
    const [start, ...rest] = lines.map((l) => l.replace(/\r?\n$/, ''));
    const token = /^::stop-commands::(migrate-action-[0-9a-f-]{36})$/.exec(start!)?.[1];
    expect(token).toBeDefined();
    expect(rest.at(-1)).toBe(`::${token}::`);
    expect(rest.slice(0, -1).join('\n')).toBe(text.replace(/\r\n|\r/g, '\n'));
    // A second line gets another token.
    const again: string[] = [];
    githubPlatform({}, (t) => again.push(t)).info(text);
    expect(again[0]).not.toBe(lines[0]);
  });

  it('reads inputs as @actions/core does: INPUT_ + upper case, spaces as _, trimmed, empty when unset', () => {
    const env = { 'INPUT_DATABASE-URL': '  postgres://x  ', INPUT_MY_INPUT: 'v', 'INPUT_MIGRATIONS-DIR': '' };
    const gh = githubPlatform(env);
    expect(gh.getInput('database-url')).toBe('postgres://x');
    expect(gh.getInput('migrations-dir')).toBe('');
    expect(gh.getInput('backup')).toBe('');
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      expect(core.getInput('database-url')).toBe(gh.getInput('database-url'));
      expect(core.getInput('my input')).toBe('v');
      expect(githubPlatform(process.env).getInput('my input' as 'backup')).toBe('v');
    } finally {
      for (const k of Object.keys(env)) if (!(k in saved)) delete process.env[k];
    }
  });

  it('falls back to the set-output command, as @actions/core does, when there is no output file', async () => {
    const lines: string[] = [];
    githubPlatform({}, (t) => lines.push(t)).setOutput('revision', 'a\nb');
    expect(lines.join('')).toBe(`${os.EOL}::set-output name=revision::a%0Ab${os.EOL}`);
  });

  it('skips the summary without a summary file and fails the step with exit code 1', async () => {
    const lines: string[] = [];
    const gh = githubPlatform({}, (t) => lines.push(t));
    await gh.writeSummary('x');
    gh.error('bad', { file: 'm/1.sql', line: 2 });
    gh.fail('bad', { file: 'm/1.sql', line: 2 });
    gh.fail('other');
    expect(lines).toEqual([`::error title=migrate-action,file=m/1.sql,line=2::bad${os.EOL}`, `::error::other${os.EOL}`]);
    expect(process.exitCode).toBe(1);
  });

  it('refuses an output value that contains its delimiter', () => {
    expect(() => outputBlock('x', 'a ghadelimiter_1 b', 'ghadelimiter_1')).toThrow(/delimiter/);
    expect(workflowCommand('warning', { file: 'a,b:c', line: 0 }, '100%')).toBe('::warning file=a%2Cb%3Ac::100%25');
  });
});
