#!/usr/bin/env node
// The CLI: the same bundle as the GitHub Action, told that it runs from the command line.
globalThis[Symbol.for('migrate-action.cli')] = true;
await import('../dist/index.js');
