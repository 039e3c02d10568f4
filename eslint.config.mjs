// @ts-check
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.bench/**', 'test/fixtures/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts', 'test/**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Architecture invariant: the pure core never reaches the editor, Node I/O or the DOM.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['vscode', 'vscode-*', 'vscode/*'], message: 'src/core is pure: no editor APIs.' },
            { group: ['fs', 'fs/*', 'node:*', 'path', 'child_process', 'os', 'net', 'http', 'https', 'stream', 'worker_threads'], message: 'src/core is pure: no Node I/O.' },
            { group: ['../cli/*', '../server/*', '../extension/*', '../webview/*', '../../cli/*', '../../server/*', '../../extension/*', '../../webview/*'], message: 'src/core depends on nothing outside src/core.' },
          ],
        },
      ],
      'no-console': 'error',
    },
  },
  {
    // One namespace per custom LSP message (method, type, params), as vscode-eslint and rust-analyzer do.
    files: ['src/shared/lspProtocol.ts'],
    rules: { '@typescript-eslint/no-namespace': 'off' },
  },
  {
    // The language server logs through the connection, never to stdout (which may be the transport).
    files: ['src/server/**/*.ts'],
    rules: { 'no-console': 'error' },
  },
);
