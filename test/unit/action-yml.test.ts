import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { INPUTS, OUTPUTS } from '../../src/inputs.js';

interface ActionYml {
  runs: unknown;
  inputs: Record<string, { description?: unknown; default?: unknown; required?: unknown }>;
  outputs: Record<string, { description?: unknown }>;
}

const action = parse(readFileSync('action.yml', 'utf8')) as ActionYml;
const collapse = (text: unknown) => String(text).replace(/\s+/g, ' ').trim();

describe('action.yml', () => {
  it('runs the bundle on node24', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
  });

  // The component's own token input is not the action's.
  const ACTION_INPUTS = INPUTS.filter((i) => !('only' in i) || i.only === 'action');

  it('declares exactly the manifest inputs, in order, but the component-only ones', () => {
    expect(Object.keys(action.inputs)).toEqual(ACTION_INPUTS.map((i) => i.name));
    expect(Object.keys(action.inputs)).not.toContain('gitlab-token');
  });

  it('lets the runner fill in the workflow token as github-token\'s default', () => {
    expect(action.inputs['github-token']!.default).toBe('${{ github.token }}');
  });

  it.each(ACTION_INPUTS.filter((i) => !('actionDefault' in i)).map((input) => [input.name, input] as const))('declares input %s as the manifest does', (_, input) => {
    const spec = action.inputs[input.name]!;
    expect(collapse(spec.description)).toBe(collapse(input.description));
    expect(collapse(spec.description).length).toBeGreaterThan(10);
    if ('default' in input) {
      expect(spec).toHaveProperty('default');
      // The runner passes strings: the YAML value must read back as the manifest's string.
      expect(typeof spec.default).toBe('string');
      expect(spec.default).toBe(input.default);
      expect(spec.required ?? false).toBe(false);
    } else {
      expect(spec).not.toHaveProperty('default');
      expect(spec.required).toBe(true);
    }
  });

  it('requires only database-url', () => {
    expect(Object.entries(action.inputs).filter(([, spec]) => spec.required === true).map(([name]) => name)).toEqual(['database-url']);
  });

  it('declares exactly the manifest outputs, in order, with their descriptions', () => {
    expect(Object.keys(action.outputs)).toEqual(OUTPUTS.map((o) => o.name));
    for (const output of OUTPUTS) expect(collapse(action.outputs[output.name]!.description)).toBe(collapse(output.description));
  });

  it('has no keys beyond description on outputs (a JavaScript action sets them itself)', () => {
    for (const spec of Object.values(action.outputs)) expect(Object.keys(spec)).toEqual(['description']);
  });
});
