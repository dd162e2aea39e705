/**
 * A tiny static file server for built outputs: URL prefixes mapped to folders, fixed headers. The tests and
 * benches serve the demo and the embed with it, and `npm run example:storefront` the example storefront.
 */
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { shapeMiddleware, type NetworkShape } from './network-shape.ts';

/** A TCP port free on 127.0.0.1 now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.tsv': 'text/tab-separated-values; charset=utf-8',
};

export interface StaticServer {
  origin: string;
  /** URL paths answered with a file, in order (what actually crossed the network). */
  served: string[];
  close(): Promise<void>;
}

export interface StaticServerOptions {
  /** URL prefix ("/l2d/") -> folder. */
  routes: Record<string, string>;
  headers?: Record<string, string>;
  /** Rewrites the text of .html files (placeholders). */
  rewriteHtml?: (text: string) => string;
  /** The port (default: a free one). */
  port?: number;
  /** A slow network for every response (network-shape.ts); default none. */
  shape?: NetworkShape;
}

/**
 * The file `routes` (URL prefix -> folder) serve for a URL path, as startStaticServer answers it: the longest prefix,
 * a folder's index.html; undefined outside every folder. Whether the file exists is the caller's question.
 */
export function routeFile(routes: Readonly<Record<string, string>>, path: string): string | undefined {
  const route = Object.entries(routes).sort((a, b) => b[0].length - a[0].length).find(([prefix]) => path.startsWith(prefix));
  if (!route) return undefined;
  const root = resolve(route[1]);
  const file = normalize(join(root, path.slice(route[0].length) || 'index.html'));
  // Inside the folder itself, not merely a path that starts the same (dist-lib2 beside dist-lib).
  return file === root || file.startsWith(root + sep) ? file : undefined;
}

/** A request's URL path, decoded; undefined where it does not decode. */
function urlPath(url: string | undefined): string | undefined {
  try {
    return decodeURIComponent(new URL(url ?? '/', 'http://x').pathname);
  } catch {
    return undefined;
  }
}

export async function startStaticServer(options: StaticServerOptions): Promise<StaticServer> {
  const port = options.port ?? (await freePort());
  const served: string[] = [];
  const shaped = options.shape ? shapeMiddleware(options.shape) : undefined;
  const server: Server = createServer((request, response) => {
    shaped?.(request, response, () => undefined);
    const path = urlPath(request.url);
    if (path === undefined) {
      // A path that does not decode (a stray "%"): the client's mistake, not the end of the server.
      response.writeHead(400, options.headers).end('bad request: the URL path does not decode');
      return;
    }
    const file = routeFile(options.routes, path);
    if (!file || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404, options.headers).end('not found');
      return;
    }
    served.push(path);
    const headers = { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', ...options.headers };
    if (extname(file) === '.html' && options.rewriteHtml) {
      response.writeHead(200, headers).end(options.rewriteHtml(readFileSync(file, 'utf8')));
      return;
    }
    response.writeHead(200, { ...headers, 'content-length': statSync(file).size });
    createReadStream(file).pipe(response);
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail); // a port in use
    server.listen(port, '127.0.0.1', done);
  });
  const close = () =>
    new Promise<void>((done) => {
      server.close(() => done());
      // A page still open keeps its connections (a body it stopped reading, keep-alive): closing does not wait for it.
      server.closeAllConnections();
    });
  return { origin: `http://127.0.0.1:${port}`, served, close };
}
