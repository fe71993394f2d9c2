import { afterEach, expect, inject } from 'vitest';
import { findLeaks, written } from './leaks.js';

// Runs after every test in every file: a secret in any recorded output fails that test.
afterEach(() => {
  const password = inject('testPassword');
  const leaks = written.flatMap(({ source, text }) => findLeaks(text, password).map((line) => `${source}: ${line}`));
  written.length = 0;
  expect(leaks, 'the database password leaked into output').toEqual([]);
});
