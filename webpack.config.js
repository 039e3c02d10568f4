// @ts-check
'use strict';
// One bundle per runtime: the extension host, the language server, the command line (Node) and the
// webview (browser). Type-checking is done apart from bundling (`npm run typecheck`), so ts-loader
// only transpiles. ts-loader needs TypeScript's 5.x JavaScript API, which is why package.json pins
// typescript 5.9.3 (typescript@latest on npm is the 7.x native port, which has no such API).
const path = require('path');
const webpack = require('webpack');

/** @type {(mode: string) => import('webpack').Configuration} */
const common = (mode) => ({
  mode: /** @type {'production' | 'development'} */ (mode),
  devtool: mode === 'production' ? 'source-map' : 'eval-cheap-module-source-map',
  // Prefer ES module builds: the UMD builds of vscode-languageserver-types confuse webpack's require analysis.
  resolve: { extensions: ['.ts', '.js'], mainFields: ['module', 'main'] },
  module: {
    rules: [
      {
        test: /\.ts$/,
        exclude: /node_modules/,
        use: [{ loader: 'ts-loader', options: { transpileOnly: true, configFile: path.resolve(__dirname, 'tsconfig.json') } }],
      },
    ],
  },
  output: { path: path.resolve(__dirname, 'dist'), filename: '[name].js', libraryTarget: 'commonjs2' },
  performance: { hints: false },
  infrastructureLogging: { level: 'warn' },
  stats: 'errors-warnings',
});

module.exports = (_env, argv) => {
  const mode = argv.mode || 'production';
  /** @type {import('webpack').Configuration} */
  const extension = {
    ...common(mode),
    name: 'extension',
    target: 'node',
    entry: { extension: './src/extension/extension.ts' },
    externals: { vscode: 'commonjs vscode' },
  };
  /** @type {import('webpack').Configuration} */
  const server = {
    ...common(mode),
    name: 'server',
    target: 'node',
    entry: { server: './src/server/server.ts' },
  };
  /** @type {import('webpack').Configuration} */
  const cli = {
    ...common(mode),
    name: 'cli',
    target: 'node',
    entry: { cli: './src/cli/main.ts' },
    plugins: [new webpack.BannerPlugin({ banner: '#!/usr/bin/env node', raw: true })],
  };
  /** @type {import('webpack').Configuration} */
  const webview = {
    ...common(mode),
    name: 'webview',
    target: 'web',
    entry: { webview: './src/webview/main.ts', overview: './src/webview/overview/main.ts' },
    // The webview's CSP forbids eval, so no eval-based source maps even in development.
    devtool: 'source-map',
    output: { path: path.resolve(__dirname, 'dist'), filename: '[name].js', iife: true },
    module: {
      rules: [
        {
          test: /\.ts$/,
          exclude: /node_modules/,
          use: [{ loader: 'ts-loader', options: { transpileOnly: true, configFile: path.resolve(__dirname, 'src/webview/tsconfig.json') } }],
        },
      ],
    },
  };
  return [extension, server, cli, webview];
};
