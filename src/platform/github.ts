import os from 'node:os';
import * as core from '@actions/core';
import type { FileLocation } from '../errors.js';
import type { Platform } from './types.js';

function annotation(location?: FileLocation): core.AnnotationProperties | undefined {
  if (!location) return undefined;
  return { file: location.file, startLine: location.line, startColumn: location.column, title: 'migrate-action' };
}

/** GitHub Actions through @actions/core: INPUT_* variables, step outputs, groups, annotations, job summary. */
export function githubPlatform(): Platform {
  // An error annotated on its file already is the failure; do not annotate it a second time.
  let annotated: string | undefined;
  return {
    workspace: process.env.GITHUB_WORKSPACE || process.cwd(),
    tempDir: process.env.RUNNER_TEMP || os.tmpdir(),
    getInput: (name) => core.getInput(name),
    mask: (secret) => core.setSecret(secret),
    info: (message) => core.info(message),
    warning: (message) => core.warning(message),
    error: (message, location) => {
      annotated = message;
      core.error(message, annotation(location));
    },
    group: (title, fn) => core.group(title, fn),
    setOutput: (name, value) => core.setOutput(name, value),
    writeSummary: async (markdown) => {
      if (!process.env.GITHUB_STEP_SUMMARY) return;
      await core.summary.addRaw(markdown, true).write();
    },
    fail: (message, location) => {
      if (annotated !== message) core.error(message, annotation(location));
      process.exitCode = 1;
    },
  };
}
