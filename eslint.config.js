// ESLint (flat config): typescript-eslint's `recommended` on all code, plus the type-aware rules
// that catch real defects in server code (promises nobody awaits or handles, a promise where a
// boolean or void is expected, unhandled members of a union). Layout is Prettier's (npm run format).
// Left out of recommendedTypeChecked on purpose: unbound-method (the services' close/stop are
// closures, not methods that need `this`), require-await (async functions that satisfy an async
// interface without awaiting), the no-unsafe-* family (JSON read in tests; `any` itself is refused
// by no-explicit-any outside tests).
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  // generated/: written by `npm run codegen` (test/codegen.test.ts compares them with its output).
  globalIgnores(['dist/', 'var/', '.dev/', '.tmp/', 'coverage/', 'test-results/', '**/generated/']),
  { name: 'lien-thong/directives', linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    name: 'lien-thong/type-aware',
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `const { omitted, ...kept } = value` is how the code drops a property.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // A `default:` is a decision to treat the other cases alike; a switch without one must name them all.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/return-await': ['error', 'error-handling-correctness-only'],
      '@typescript-eslint/only-throw-error': 'error',
      // Passing on a rejection or an abort reason as it came (typed unknown or any) is allowed.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      '@typescript-eslint/no-base-to-string': 'error',
      '@typescript-eslint/restrict-template-expressions': 'error',
      '@typescript-eslint/restrict-plus-operands': 'error',
      '@typescript-eslint/no-for-in-array': 'error',
      '@typescript-eslint/no-implied-eval': 'error',
      '@typescript-eslint/no-array-delete': 'error',
      '@typescript-eslint/no-misused-spread': 'error',
      '@typescript-eslint/no-unsafe-unary-minus': 'error',
      '@typescript-eslint/no-meaningless-void-operator': 'error',
    },
  },
  {
    name: 'lien-thong/tests',
    files: ['test/**/*.ts', '**/*.test.ts'],
    rules: {
      // Tests read GraphQL answers and JSON files as loose data, whose shape toEqual/toMatchObject then checks.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    name: 'lien-thong/node-scripts',
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ignores: ['**/*.browser.js'],
    languageOptions: { globals: globals.node },
  },
  {
    name: 'lien-thong/browser-script',
    files: ['**/*.browser.js'],
    // YogaGraphiQL: the global of @graphql-yoga/render-graphiql's script, loaded before the query page's.
    languageOptions: { globals: { ...globals.browser, YogaGraphiQL: 'readonly' }, sourceType: 'script' },
  },
);
