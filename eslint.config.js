// Flat config: typescript-eslint's recommended rules over every TypeScript file, plus the
// handful of house rules that keep errors coded and I/O injectable.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.tmp/', 'api/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportAllDeclaration', message: 'List exports by name; no `export *` barrels.' },
      ],
    },
  },
  {
    files: ['src/**/*.ts', 'adapters/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'No process.env below the CLI: take an option.' },
      ],
    },
  },
  {
    // The CommonJS consumer fixture is the one place `import x = require(...)` is the point.
    files: ['test/package/consumer/*.cts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
