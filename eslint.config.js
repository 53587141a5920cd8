import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'bench/.venv*/**', 'bench/results/**', '.cache/**', '.kafka/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Benchmarks and the CLI launcher are plain Node scripts.
    files: ['bench/**/*.mjs', 'cli/bin/*.js'],
    languageOptions: {
      globals: globals.node,
    },
    // Some scripts name their globals in a /* global */ comment.
    rules: { 'no-redeclare': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'warn',
    },
  },
);
