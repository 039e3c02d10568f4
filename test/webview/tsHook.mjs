// Loads the project's TypeScript sources (the real engine, the ladder model, the host session)
// into plain Node for the browser tests: each .ts file is transpiled with TypeScript's own API
// (no type check; `npm run typecheck` does that).
import * as fs from 'fs';
import { createRequire } from 'module';

const require = createRequire(import.meta.url);
const ts = require('typescript');
const Module = require('module');

const options = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022,
  esModuleInterop: true,
  isolatedModules: true,
  inlineSourceMap: true,
};

Module._extensions['.ts'] = function compileTs(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const out = ts.transpileModule(source, { compilerOptions: options, fileName: filename });
  module._compile(out.outputText, filename);
};
