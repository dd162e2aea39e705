/**
 * The storefront embed: one IIFE file (dist-embed/l2d-embed.js), its worker as one
 * file beside it (l2d-worker.js: the embed fetches it when a widget first needs
 * it and runs it from a Blob), plus onnxruntime-web's glue and wasm under
 * their own names (the embed points onnxruntime-web at its own folder).
 *
 *   npm run build:embed
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { VERSION_DEFINE } from './tools/vite/version.ts';
import { EXTERN_ORT_CONDITIONS, NO_JSPI_ALIAS, ortWasmFiles, SHIPPED_WORKER } from './tools/vite/shipped-worker.ts';

/** The globals the embed's script defines, typed from its code (src/embed/embed.ts, recommendations-element.ts). */
const EMBED_GLOBALS = `/// <reference types="@webgpu/types" />
import type { L2DEmbed, QueuedCall } from './types/embed/embed.ts';
import type { L2DErrorDetail, L2DRecommendationsElement, L2DRenderDetail, L2DSelectDetail } from './types/embed/recommendations-element.ts';

interface L2DEvents {
  'l2d-select': CustomEvent<L2DSelectDetail>;
  'l2d-render': CustomEvent<L2DRenderDetail>;
  'l2d-error': CustomEvent<L2DErrorDetail>;
}

declare global {
  /** The embed's API, once its script ran. */
  var L2D: L2DEmbed;
  /** Calls queued before an \`async\` embed ran: \`(window.L2DQueue ||= []).push((L2D) => L2D.track('view', 12))\`. */
  var L2DQueue: QueuedCall[] | { push(...calls: QueuedCall[]): number } | undefined;
  interface HTMLElementTagNameMap {
    'l2d-recommendations': L2DRecommendationsElement;
  }
  // The events bubble out of the widget's shadow root to the document.
  interface HTMLElementEventMap extends L2DEvents {}
  interface DocumentEventMap extends L2DEvents {}
}

export type { L2DEmbed, QueuedCall, L2DErrorDetail, L2DRecommendationsElement, L2DRenderDetail, L2DSelectDetail };
`;

export default defineConfig({
  define: VERSION_DEFINE,
  base: './',
  publicDir: false,
  // One worker file, fetched and run from a Blob; onnxruntime-web's asyncify and wasm-only builds beside it (shipped-worker.ts).
  worker: SHIPPED_WORKER,
  resolve: {
    conditions: EXTERN_ORT_CONDITIONS,
    alias: [
      NO_JSPI_ALIAS,
      // The embed passes its Blob worker: createRecommender()'s default module worker would be a second, unused copy.
      { find: /^\.\/default-worker\.ts$/, replacement: fileURLToPath(new URL('src/embed/no-default-worker.ts', import.meta.url)) },
    ],
  },
  build: {
    target: 'es2022',
    outDir: 'dist-embed',
    emptyOutDir: true,
    lib: { entry: 'src/embed/embed.ts', formats: ['iife'], name: 'L2DEmbed', fileName: () => 'l2d-embed.js' },
  },
  plugins: [
    ortWasmFiles(),
    {
      name: 'l2d-embed-types',
      generateBundle() {
        // A store's TypeScript references this file (tsc writes the types/ it imports after this build).
        this.emitFile({ type: 'asset', fileName: 'l2d-embed.d.ts', source: EMBED_GLOBALS });
      },
    },
  ],
});
