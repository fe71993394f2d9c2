import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const BUNDLE = path.resolve('dist', 'index.js');

/**
 * Load the built bundle as the CLI (`--version`: everything is loaded, nothing connects) in a fresh Node
 * with `prelude` run first, and print what `report` returns.
 */
function loadBundle(prelude: string, report: string) {
  const script = `${prelude}
globalThis[Symbol.for('migrate-action.cli')] = true;
process.argv.splice(1, process.argv.length, 'migrate-action', '--version');
await import(${JSON.stringify(BUNDLE)});
process.stderr.write(JSON.stringify(${report}));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stderr) as unknown;
}

describe('loading the bundle', () => {
  it("does not load Node's fetch implementation (pg's runtime check) and sets navigator only where Node lacks it", () => {
    const trap = `
const had = typeof globalThis.navigator;
const original = Object.getOwnPropertyDescriptor(globalThis, 'Response');
let touched = false;
Object.defineProperty(globalThis, 'Response', { configurable: true, get() { touched = true; return original.get ? original.get.call(globalThis) : original.value; } });`;
    const seen = loadBundle(trap, '{ touched, had, userAgent: globalThis.navigator.userAgent }') as { touched: boolean; had: string; userAgent: string };
    expect(seen.touched).toBe(false);
    const major = process.versions.node.split('.')[0];
    // Node 21+ has its own navigator, which stays as it is; on Node 20 ours says the same thing.
    expect(seen.userAgent).toBe(`Node.js/${major}`);
  });

  it('leaves a navigator that is already there alone', () => {
    const own = `Object.defineProperty(globalThis, 'navigator', { value: { userAgent: 'kept' }, configurable: true, writable: true });`;
    expect(loadBundle(own, 'globalThis.navigator.userAgent')).toBe('kept');
  });
});
