/**
 * Module hooks that load the packages' TypeScript sources as `tsc` emits them (TypeScript's
 * own transpileModule, ES2022 like tsconfig.base.json), for the servers under test. tsx's
 * esbuild transform sets keepNames, which wraps every named closure in a
 * `__name(fn, 'name')` → Object.defineProperty call: per connection in code that makes its
 * callbacks per connection, a cost the published `dist` does not have. Resolution stays tsx's
 * (`.js` specifiers to `.ts` files); only loading of packages/<name>/src/*.ts is taken over.
 * Registered by handshake-server.ts with module.register().
 */
import { readFile } from 'node:fs/promises';
import type { LoadHook } from 'node:module';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SOURCES = /\/packages\/[^/]+\/src\/[^/]+(\/[^/]+)*\.ts$/;

export const load: LoadHook = async (url, context, nextLoad) => {
  if (!url.startsWith('file://') || !SOURCES.test(url) || url.includes('/node_modules/')) {
    return nextLoad(url, context);
  }
  const fileName = fileURLToPath(url);
  const source = await readFile(fileName, 'utf8');
  const output = ts.transpileModule(source, {
    fileName,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
      sourceMap: false,
      inlineSourceMap: false,
    },
  });
  return { format: 'module', source: output.outputText, shortCircuit: true };
};
