/**
 * example:storefront: the example storefront (examples/storefront) as a store would run it, with the embed
 * built: the store's pages on one origin, the embed and the model on another (a CDN, with CORS), the pages
 * under a strict Content-Security-Policy. e2e/embed.test.ts serves the same way (startExampleStorefront).
 *
 *   npm run example:storefront [-- --port 5180]     # the CDN takes the next port
 *
 * Prints the pages' addresses; Ctrl-C stops.
 */
import { InvalidArgumentError } from '../../src/core/errors.ts';
import { isEntryPoint, parseOptions, parsePort, runCli } from '../lib/cli.ts';
import { startStaticServer, type StaticServer } from '../lib/static-server.ts';
import { viteBuild } from '../lib/vite-build.ts';

/** What the store's pages allow: scripts from the page and the embed's origin, the worker from a Blob, wasm compiled. */
export function storefrontPolicy(embedOrigin: string): string {
  return `default-src 'self'; script-src 'self' ${embedOrigin} 'wasm-unsafe-eval'; worker-src blob:; connect-src 'self' ${embedOrigin}; style-src 'self'; img-src 'self' data:`;
}

export interface ExampleStorefrontOptions {
  /** The store's port and the CDN's (default: free ones). */
  storePort?: number;
  cdnPort?: number;
  /** More URL prefixes -> folders on each origin (the tests' own pages and files). */
  storeRoutes?: Record<string, string>;
  cdnRoutes?: Record<string, string>;
  /** A further edit of the store's pages, after the embed's origin is written in (bench:first-visit names another memory). */
  rewriteHtml?: (html: string) => string;
}

/** What the CDN serves: URL prefix -> folder. */
export const EXAMPLE_CDN_ROUTES: Readonly<Record<string, string>> = { '/l2d/': 'dist-embed', '/models/': 'models' };

/** The two origins, serving dist-embed/ as it is (build it first: `npm run build:embed`). */
export async function startExampleStorefront(options: ExampleStorefrontOptions = {}): Promise<{ store: StaticServer; cdn: StaticServer }> {
  const cdn = await startStaticServer({
    routes: { ...EXAMPLE_CDN_ROUTES, ...options.cdnRoutes },
    headers: { 'access-control-allow-origin': '*', 'cache-control': 'max-age=3600' },
    port: options.cdnPort,
  });
  const store = await startStaticServer({
    routes: { '/': 'examples/storefront', ...options.storeRoutes },
    // The pages name the embed's origin EMBED_ORIGIN: a store writes its CDN's address there.
    rewriteHtml: (html) => {
      const page = html.replaceAll('EMBED_ORIGIN', cdn.origin);
      return options.rewriteHtml ? options.rewriteHtml(page) : page;
    },
    headers: { 'content-security-policy': storefrontPolicy(cdn.origin) },
    port: options.storePort,
  });
  return { store, cdn };
}

const USAGE = 'usage: npm run example:storefront [-- --port 5180]   (the CDN takes the next port)';

async function main(): Promise<void> {
  const { values } = parseOptions('example:storefront', USAGE, { options: { port: { type: 'string', default: '5180' } } });
  const port = parsePort(values.port, 65534, '; the CDN takes the next');
  // The ports first: a taken one is said at once, not after the build.
  const { store, cdn } = await startExampleStorefront({ storePort: port, cdnPort: port + 1 }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EADDRINUSE') throw error;
    throw new InvalidArgumentError(`Port ${port} or ${port + 1} is in use (another server?); choose others with --port N (the CDN takes N + 1).`);
  });
  console.log('Building the embed (vite.embed.config.ts -> dist-embed/)…');
  await viteBuild('vite.embed.config.ts');
  console.log(
    [
      `The example storefront: ${store.origin}/`,
      `  one product page template: ${store.origin}/product.html?id=12 (its widget below the fold, loaded lazily)`,
      `  a game shop by its own ids (ASINs): ${store.origin}/own-ids.html`,
      `  the privacy page (what the embed keeps, and deleting it): ${store.origin}/privacy.html`,
      `The embed and the models, from a second origin (the CDN): ${cdn.origin}/l2d/l2d-embed.js, ${cdn.origin}/models/`,
      'Ctrl-C stops.',
    ].join('\n'),
  );
}

if (isEntryPoint(import.meta.url)) runCli('example:storefront', main);
