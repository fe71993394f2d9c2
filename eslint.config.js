import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // test/corpus holds other projects' migration files, kept byte for byte: data, not this project's code.
  { ignores: ['dist/', 'lib/', 'node_modules/', 'coverage/', '.tmp/', 'test/corpus/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['log', 'error'] }],
    },
  },
);
