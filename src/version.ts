/**
 * This build's version: package.json's, which the Vite configs define (tools/vite/version.ts). Code run from the
 * sources outside Vite (the Node tools) has none: 'source'.
 */
declare const __L2D_VERSION__: string | undefined;

export const VERSION: string = typeof __L2D_VERSION__ === 'string' ? __L2D_VERSION__ : 'source';
