import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { INPUTS, OUTPUTS } from '../../src/inputs.js';

const action = parse(readFileSync('action.yml', 'utf8'));

describe('action.yml', () => {
  it('runs the bundle on node24', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
  });

  it('declares exactly the manifest inputs, in order, with their defaults and descriptions', () => {
    expect(Object.keys(action.inputs)).toEqual(INPUTS.map((i) => i.name));
    for (const input of INPUTS) {
      const spec = action.inputs[input.name];
      expect(spec.description).toBe(input.description);
      if ('default' in input) expect(String(spec.default)).toBe(input.default);
      else expect(spec.required).toBe(true);
    }
  });

  it('declares exactly the manifest outputs', () => {
    expect(Object.keys(action.outputs)).toEqual(OUTPUTS.map((o) => o.name));
    for (const output of OUTPUTS) expect(action.outputs[output.name].description).toBe(output.description);
  });
});
