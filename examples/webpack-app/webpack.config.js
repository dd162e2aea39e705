// webpack 5's defaults: nothing here is for the library. webpack copies the files l2d.js names as
// `new URL('<file>', import.meta.url)` (its worker, onnxruntime-web's .mjs and .wasm) into dist/ under hashed names.
import { fileURLToPath } from 'node:url';

export default {
  mode: 'production',
  context: fileURLToPath(new URL('.', import.meta.url)),
  entry: './src/index.js',
  output: { path: fileURLToPath(new URL('./dist', import.meta.url)), clean: true },
  // onnxruntime-web's wasm is 14-27 MB: past webpack's advice for a page's assets, fetched only by the worker.
  performance: { hints: false },
};
