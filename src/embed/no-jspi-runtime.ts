/**
 * Stands for `onnxruntime-web/jspi` in the embed's build (vite.embed.config.ts): the embed ships the asyncify
 * and wasm-only builds only, so every storefront visitor's script does not carry a third build's JavaScript.
 * `runtime: 'jspi'` through the embed fails with this message instead.
 */
import { InvalidArgumentError } from '../core/errors.ts';

throw new InvalidArgumentError("The L2D embed ships no JSPI build of onnxruntime-web: load with runtime 'auto' (the default).");
