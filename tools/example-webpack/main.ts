/**
 * example:webpack: examples/webpack-app, an app bundled by webpack 5 with its defaults, using the library as the npm
 * package: the library built and packed, the tarball installed into examples/webpack-app/node_modules (not saved),
 * the app built by webpack (its webpack.config.js -> dist/) and the folder served as plain files, the repository's
 * models/ at /models/ beside it. e2e/library-package.test.ts runs it the same way.
 *
 *   npm run example:webpack [-- --port 5184]
 *
 * Prints the page's address; Ctrl-C stops.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import webpack, { type Configuration } from 'webpack';
import { isEntryPoint, parseOptions, parsePort, portInUse, runCli } from '../lib/cli.ts';
import { packAndInstall } from '../lib/library-package.ts';
import { startStaticServer, type StaticServer } from '../lib/static-server.ts';

export const EXAMPLE_WEBPACK_APP = 'examples/webpack-app';

/** The app built by webpack with its own config file, as `npm run build` there does; webpack's errors thrown whole. */
export async function buildExampleWebpack(): Promise<void> {
  const config: Configuration = (await import(pathToFileURL(resolve(EXAMPLE_WEBPACK_APP, 'webpack.config.js')).href)).default;
  await new Promise<void>((done, fail) => {
    webpack(config, (error, stats) => {
      if (error) return fail(error);
      if (stats?.hasErrors()) return fail(new Error(`webpack could not build ${EXAMPLE_WEBPACK_APP}:\n${stats.toString('errors-only')}`));
      done();
    });
  });
}

/** The built app's folder (index.html, dist/) and the models, from one static server; `headers` on every response. */
export function startExampleWebpack(options: { port?: number; headers?: Record<string, string> } = {}): Promise<StaticServer> {
  return startStaticServer({ routes: { '/models/': 'models', '/': EXAMPLE_WEBPACK_APP }, ...options });
}

const USAGE = 'usage: npm run example:webpack [-- --port 5184]';

async function main(): Promise<void> {
  const { values } = parseOptions('example:webpack', USAGE, { options: { port: { type: 'string', default: '5184' } } });
  const port = parsePort(values.port);
  // The port first: a taken one is said at once, not after the build.
  const site = await startExampleWebpack({ port }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EADDRINUSE') throw error;
    throw portInUse(port);
  });
  await packAndInstall([EXAMPLE_WEBPACK_APP], console.log);
  console.log('Building the app with webpack…');
  await buildExampleWebpack();
  console.log([`${EXAMPLE_WEBPACK_APP} built by webpack (dist/): ${site.origin}/`, 'Ctrl-C stops.'].join('\n'));
}

if (isEntryPoint(import.meta.url)) runCli('example:webpack', main);
