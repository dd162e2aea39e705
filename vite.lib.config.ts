/**
 * The library as an ES module for pages and apps outside this repository: dist-lib/l2d.js (src/index.ts, the public
 * API), its worker dist-lib/l2d-worker.js (createRecommender()'s default module worker, the memory worker inlined), and
 * onnxruntime-web's two builds beside them, whose URLs l2d.js passes to the worker. Types: dist-lib/types (tsc). The
 * folder is also an npm package (package.json, README.md from docs/PACKAGE.md): `npm pack ./dist-lib`.
 *
 *   npm run build:lib
 */
import { readFileSync } from 'node:fs';
import { defineConfig } from 'vite';
import { VERSION_DEFINE } from './tools/vite/version.ts';
import { EXTERN_ORT_CONDITIONS, NO_JSPI_ALIAS, ortFileUrls, ortWasmFiles, SHIPPED_WORKER } from './tools/vite/shipped-worker.ts';

/** dist-lib/package.json: this project's name, version and licence; the built module and its types as its one entry. */
function libraryPackage(): Record<string, unknown> {
  const root = JSON.parse(readFileSync('package.json', 'utf8'));
  return {
    name: root.name,
    version: root.version,
    description: root.description,
    license: root.license,
    type: 'module',
    exports: { '.': { types: './l2d.d.ts', default: './l2d.js' }, './package.json': './package.json' },
    types: './l2d.d.ts',
    // The declarations name WebGPU's types (GPUDevice): the version they are checked against.
    dependencies: { '@webgpu/types': root.devDependencies['@webgpu/types'] },
    keywords: ['recommender', 'webgpu', 'onnxruntime-web', 'llm', 'on-device'],
  };
}

/**
 * dist-lib/README.md: docs/PACKAGE.md with createRecommender()'s options table as README.md has it (one source) in
 * place of its marker line, the table's links to the project's files turned into their names (a package has no docs/).
 */
function packageReadme(): string {
  const lines = readFileSync('README.md', 'utf8').split('\n');
  const start = lines.indexOf('| option | default | meaning |');
  if (start < 0) throw new Error("README.md lost createRecommender()'s options table (| option | default | meaning |)");
  const end = lines.indexOf('', start);
  const table = lines.slice(start, end).join('\n').replace(/\[([^\]]+)\]\((?!https?:)[^)]+\)/g, "the project's $1");
  const text = readFileSync('docs/PACKAGE.md', 'utf8');
  const marker = /^<!-- The library build .* -->$/m;
  if (!marker.test(text)) throw new Error('docs/PACKAGE.md lost the line where the options table goes (<!-- The library build ... -->)');
  return text.replace(marker, `## Every option of createRecommender()\n\n${table}`);
}

export default defineConfig({
  define: VERSION_DEFINE,
  base: './',
  publicDir: false,
  // As the embed's: one worker file, onnxruntime-web's asyncify and wasm-only builds beside it (shipped-worker.ts).
  worker: SHIPPED_WORKER,
  resolve: { conditions: EXTERN_ORT_CONDITIONS, alias: [NO_JSPI_ALIAS] },
  build: {
    target: 'es2022',
    outDir: 'dist-lib',
    emptyOutDir: true,
    lib: { entry: 'src/index.ts', formats: ['es'], fileName: () => 'l2d.js' },
  },
  plugins: [
    ortWasmFiles(),
    ortFileUrls(),
    {
      name: 'l2d-lib-types',
      generateBundle() {
        // Beside l2d.js, so TypeScript finds the types of `import ... from './l2d/l2d.js'` (tsc writes types/ after this
        // build); some options and results name WebGPU's types (GPUDevice), which @webgpu/types declares.
        this.emitFile({ type: 'asset', fileName: 'l2d.d.ts', source: '/// <reference types="@webgpu/types" />\nexport * from \'./types/index.js\';\n' });
      },
    },
    {
      name: 'l2d-lib-package',
      generateBundle() {
        // The folder is an npm package as it is (`npm pack ./dist-lib`): an app installs it and its bundler copies the
        // worker and onnxruntime-web's files from it (src/ort-files-beside-bundle.ts).
        this.emitFile({ type: 'asset', fileName: 'package.json', source: `${JSON.stringify(libraryPackage(), null, 2)}\n` });
        this.emitFile({ type: 'asset', fileName: 'README.md', source: packageReadme() });
      },
    },
  ],
});
