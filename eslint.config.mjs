// Lint (part of `npm test`): typescript-eslint's type-aware rules. The ones that matter most here
// are about promises: Durable Object, bridge and test code is async everywhere, and a promise
// nobody awaits or handles fails silently. The product's code (the Worker, the objects, the
// bridge, the contract, the domain, the client) gets the whole recommended type-checked set;
// tests, the torture, benchmarks and scripts read JSON bodies as `any` by design, so there the
// `no-unsafe-*` family is off and everything else, the promise rules first, stays on.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.cache/', '.data/', '.wrangler/', 'dist/', 'public/', 'worker-configuration.d.ts', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Two programs: the Node side's (bridge, its tests, bench, torture, scripts) first, so a bridge
        // file that a workerd test also imports is checked with Node's types; then the Worker's.
        project: ['./bridge/tsconfig.json', './tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/require-await': 'off',
      // Passing on a caught `unknown` (a rejection re-thrown) is not inventing a non-Error.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // A variable a closure reads before its one assignment (a server's handler set once listening) stays `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // TypeScript checks names; this rule does not know the runtimes' globals.
      'no-undef': 'off',
    },
  },
  {
    files: ['test/**', 'torture/**', 'bench/**', 'scripts/**', 'simulate/**'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // Plain JavaScript (scripts, bins, this file): no types to check against.
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: { console: 'readonly', process: 'readonly', URL: 'readonly', fetch: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', AbortSignal: 'readonly' } },
  },
);
