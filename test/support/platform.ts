import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FileLocation } from '../../src/errors.js';
import type { InputName, OutputName } from '../../src/inputs.js';
import type { Platform } from '../../src/platform/types.js';
import { recordWritten } from './leaks.js';

export interface RecordingPlatform extends Platform {
  readonly lines: string[];
  readonly outputs: Partial<Record<OutputName, string>>;
  readonly masked: string[];
  readonly annotations: { message: string; location?: FileLocation }[];
  summary: string;
  failed?: string;
  /** All lines joined: what a log reader would see. */
  log(): string;
}

/**
 * The platform edge, recorded: inputs from a map, everything written kept for assertions and for the
 * leak check (which sees it unmasked, so our own redaction is what is tested).
 */
export function recordingPlatform(inputs: Partial<Record<InputName, string>>, workspace: string = process.cwd()): RecordingPlatform {
  const lines: string[] = [];
  const say = (line: string) => {
    lines.push(line);
    recordWritten('log', line);
  };
  const platform: RecordingPlatform = {
    env: process.env,
    workspace,
    tempDir: os.tmpdir(),
    lines,
    outputs: {},
    masked: [],
    annotations: [],
    summary: '',
    getInput: (name) => inputs[name] ?? '',
    mask(secret) {
      platform.masked.push(secret);
    },
    info: (message) => say(message),
    warning: (message) => say(`warning: ${message}`),
    error(message, location) {
      platform.annotations.push({ message, location });
      say(`error: ${message}`);
    },
    async group(title, fn) {
      say(`::group::${title}`);
      try {
        return await fn();
      } finally {
        say('::endgroup::');
      }
    },
    setOutput(name, value) {
      platform.outputs[name] = value;
      recordWritten(`output ${name}`, value);
    },
    async writeSummary(markdown) {
      platform.summary += markdown;
      recordWritten('summary', markdown);
    },
    fail(message) {
      platform.failed = message;
      say(`failed: ${message}`);
    },
    log: () => lines.join('\n'),
  };
  return platform;
}

/** A temporary directory of migration files: { '1_a.sql': 'CREATE TABLE a ()' }. */
export function migrationsDir(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'migrate-action-files-'));
  for (const [name, contents] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), contents);
  }
  return dir;
}
