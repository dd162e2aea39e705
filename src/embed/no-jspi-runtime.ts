/**
 * Stands for `onnxruntime-web/jspi` in the embed's and the library's builds (vite.embed.config.ts,
 * vite.lib.config.ts): they ship the asyncify and wasm-only builds only, so a visitor's worker does not carry a
 * third build's JavaScript. `runtime: 'jspi'` through them fails with this message instead.
 */
import { InvalidArgumentError } from '../core/errors.ts';

throw new InvalidArgumentError("This build of L2D (the embed, dist-lib) ships no JSPI build of onnxruntime-web: load with runtime 'auto' (the default).");
