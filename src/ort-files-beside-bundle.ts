/**
 * onnxruntime-web's files where a build ships them beside its bundle. The built library (dist-lib/l2d.js) has the
 * marker below replaced (vite.lib.config.ts) by each file's `new URL('<file>', import.meta.url)`: the form an app's
 * bundler follows to copy a file into its build and give its URL (Vite does, in its dev server and its build), so the
 * files keep working under the names the app's build gives them, where the worker could not find them beside itself
 * by their own names. In the sources (the demo, the embed) there are none: Vite serves onnxruntime-web's files there.
 */
import type { WasmPaths } from './encoder/ort-runtime.ts';

/** The marker vite.lib.config.ts replaces; a string here, an object of URLs there. */
export const ORT_FILES_MARKER = 'l2d:ort-files-beside-bundle';

export const ORT_FILES_BESIDE_BUNDLE: WasmPaths | undefined = shipped(ORT_FILES_MARKER);

function shipped(files: WasmPaths): WasmPaths | undefined {
  return typeof files === 'object' ? files : undefined;
}
