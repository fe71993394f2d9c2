// Generated files, from the one manifest of inputs and outputs (src/inputs.ts, compiled to lib/ by tsc):
// action.yml's inputs and outputs, and the README's tables. Run by `npm run build`; CI fails on a diff.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { INPUTS, OUTPUTS } from '../lib/inputs.js';
import { renderTables, withTables } from './readme-tables.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** action.yml from the manifest. */
export function renderActionYml() {
  const action = {
    name: 'migrate-action',
    description:
      'Apply PostgreSQL migrations (postgres-migrations format) once, under an advisory lock, before the deploy; ' +
      'outputs the database revision and fails the job so that a dependent deploy does not run.',
    author: 'migrate-action',
    branding: { icon: 'database', color: 'blue' },
    inputs: Object.fromEntries(
      INPUTS.map((i) => [i.name, { description: i.description, ...(i.required ? { required: true } : { default: i.default }) }]),
    ),
    outputs: Object.fromEntries(OUTPUTS.map((o) => [o.name, { description: o.description }])),
    runs: { using: 'node24', main: 'dist/index.js' },
  };
  return `# Generated from src/inputs.ts by scripts/generate.mjs (npm run build): edit the manifest, not this file.\n${stringify(action, { lineWidth: 110 })}`;
}

const actionYml = renderActionYml();
writeFileSync(path.join(root, 'action.yml'), actionYml);
const readmePath = path.join(root, 'README.md');
writeFileSync(readmePath, withTables(readFileSync(readmePath, 'utf8'), renderTables(actionYml)));
