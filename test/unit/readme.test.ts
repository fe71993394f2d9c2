import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderTables, withTables } from '../../scripts/readme-tables.mjs';

describe('README', () => {
  it('has the inputs and outputs tables generated from action.yml (run node scripts/readme-tables.mjs)', () => {
    const readme = readFileSync('README.md', 'utf8');
    const tables = renderTables(readFileSync('action.yml', 'utf8'));
    expect(tables.inputs).toContain('`database-url` | **required**');
    expect(withTables(readme, tables)).toBe(readme);
  });

  it('opens with the two commands: the demo and the tests', () => {
    const readme = readFileSync('README.md', 'utf8');
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(firstBlock).toContain('npm ci && npm run demo');
    expect(firstBlock).toContain('npm ci && npm test');
  });
});
