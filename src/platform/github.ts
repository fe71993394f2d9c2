import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import os from 'node:os';
import type { FileLocation } from '../errors.js';
import type { Platform } from './types.js';

/*
 * The runner's side of a JavaScript action: INPUT_* variables in, workflow commands (`::name k=v::data`)
 * on stdout, and the GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files. This writes exactly what @actions/core
 * writes for the calls we need (a test compares the two byte for byte). We do not load @actions/core at
 * run time because importing it evaluates its HTTP client (undici) for OIDC tokens, which we never
 * request: about 40 ms of every run, a third of a no-op's whole time (measured by `npm run bench`).
 */

/** Data part of a workflow command. */
export function escapeData(value: string): string {
  return value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Property value of a workflow command: also `:` and `,`, which separate properties. */
export function escapeProperty(value: string): string {
  return escapeData(value).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** `::command k=v,k=v::message`, skipping empty properties, as the runner parses it. Pure. */
export function workflowCommand(command: string, properties: Record<string, string | number | undefined>, message: string): string {
  const props = Object.entries(properties)
    .filter(([, value]) => value !== undefined && value !== '' && value !== 0)
    .map(([key, value]) => `${key}=${escapeProperty(String(value))}`)
    .join(',');
  return `::${command}${props ? ` ${props}` : ''}::${escapeData(message)}`;
}

/** The annotation's properties: where the runner shows it in the file view. */
function annotation(location?: FileLocation): Record<string, string | number | undefined> {
  if (!location) return {};
  return { title: 'migrate-action', file: location.file, line: location.line, col: location.column };
}

/**
 * `name<<delimiter` block for GITHUB_OUTPUT: the value may hold newlines; the random delimiter cannot
 * occur in it.
 */
export function outputBlock(name: string, value: string, delimiter = `ghadelimiter_${randomUUID()}`): string {
  if (name.includes(delimiter) || value.includes(delimiter)) throw new Error(`Output ${name} contains the delimiter ${delimiter}`);
  return `${name}<<${delimiter}${os.EOL}${value}${os.EOL}${delimiter}${os.EOL}`;
}

/** GitHub Actions: INPUT_* variables, step outputs, groups, annotations, job summary. */
export function githubPlatform(env: NodeJS.ProcessEnv = process.env, write: (text: string) => void = (text) => process.stdout.write(text)): Platform {
  const line = (text: string) => write(`${text}${os.EOL}`);
  // An error annotated on its file already is the failure; do not annotate it a second time.
  let annotated: string | undefined;
  return {
    env,
    forge: { name: 'github', tokenInput: 'github-token' },
    workspace: env.GITHUB_WORKSPACE || process.cwd(),
    tempDir: env.RUNNER_TEMP || os.tmpdir(),
    getInput: (name) => (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] || '').trim(),
    mask: (secret) => line(workflowCommand('add-mask', {}, secret)),
    info: (message) => {
      // Text we did not write ourselves (a file name, a server's message, a child's output) may hold
      // a line break followed by a workflow command: such a message goes out between
      // ::stop-commands:: and a token it cannot know, so that the runner reads none of it.
      // The legacy ##[command] form is read anywhere in a line, the :: form at its start.
      if (/[\r\n]/.test(message) || /^\s*::/.test(message) || message.includes('##[')) {
        const token = `migrate-action-${randomUUID()}`;
        line(`::stop-commands::${token}`);
        for (const part of message.split(/\r\n|\r|\n/)) line(part);
        line(`::${token}::`);
      } else {
        line(message);
      }
    },
    warning: (message, location) => line(workflowCommand('warning', annotation(location), message)),
    error: (message, location) => {
      annotated = message;
      line(workflowCommand('error', annotation(location), message));
    },
    group: async (title, fn) => {
      line(workflowCommand('group', {}, title));
      try {
        return await fn();
      } finally {
        line('::endgroup::');
      }
    },
    setOutput: (name, value) => {
      if (env.GITHUB_OUTPUT) {
        appendFileSync(env.GITHUB_OUTPUT, outputBlock(name, value), 'utf8');
      } else {
        // Runners older than the output file read the deprecated command.
        write(os.EOL);
        line(workflowCommand('set-output', { name }, value));
      }
    },
    writeSummary: async (markdown) => {
      if (!env.GITHUB_STEP_SUMMARY) return;
      appendFileSync(env.GITHUB_STEP_SUMMARY, `${markdown}${os.EOL}`, 'utf8');
    },
    fail: (message, location) => {
      if (annotated !== message) line(workflowCommand('error', annotation(location), message));
      process.exitCode = 1;
    },
  };
}
