/**
 * example:vite: examples/vite-app, an app with a bundler (Vite, no configuration of its own), using the library as the
 * npm package an app's developer installs: the library built and packed (`npm pack ./dist-lib`), the tarball installed
 * into examples/vite-app/node_modules (not saved in its package.json: the package is not on the npm registry), then
 * the app in Vite's dev server, or with --build built by Vite and its dist/ served as plain files. The repository's
 * models/ are served at /models/ beside it. e2e/library-package.test.ts runs it the same way.
 *
 *   npm run example:vite [-- --port 5183] [--build]
 *
 * Prints the page's address; Ctrl-C stops.
 */
import { resolve } from 'node:path';
import { createServer } from 'vite';
import { isEntryPoint, parseOptions, parsePort, portInUse, runCli } from '../lib/cli.ts';
import { startStaticServer } from '../lib/static-server.ts';
import { packAndInstall } from '../lib/library-package.ts';
import { viteBuild } from '../lib/vite-build.ts';

export const EXAMPLE_VITE_APP = 'examples/vite-app';

export interface ExampleVite {
  origin: string;
  /** URL paths the built app's server answered (--build only: the dev server's requests are Vite's own). */
  served?: string[];
  close(): Promise<void>;
}

/** The installed app in Vite's dev server, or (`build`) built into examples/vite-app/dist and served as files; `headers` on every response. */
export async function startExampleVite(options: { port?: number; build?: boolean; headers?: Record<string, string> } = {}): Promise<ExampleVite> {
  const root = resolve(EXAMPLE_VITE_APP);
  if (options.build) {
    await viteBuild({ root, configFile: false, build: { outDir: 'dist', emptyOutDir: true } });
    return startStaticServer({ routes: { '/models/': 'models', '/': `${EXAMPLE_VITE_APP}/dist` }, port: options.port, headers: options.headers }).catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'EADDRINUSE' ? portInUse(options.port ?? 0) : error;
    });
  }
  const models = await startStaticServer({ routes: { '/models/': 'models' } });
  const server = await createServer({
    root,
    configFile: false,
    logLevel: 'warn',
    server: { host: '127.0.0.1', port: options.port ?? 5183, strictPort: true, proxy: { '/models/': models.origin }, headers: options.headers },
  }).catch(async (error) => {
    await models.close();
    throw error;
  });
  await server.listen().catch(async (error: NodeJS.ErrnoException) => {
    await Promise.all([server.close(), models.close()]);
    throw String(error.message).includes('in use') ? portInUse(options.port ?? 5183) : error;
  });
  return {
    origin: `http://127.0.0.1:${server.config.server.port}`,
    close: async () => {
      await server.close();
      await models.close();
    },
  };
}

const USAGE = 'usage: npm run example:vite [-- --port 5183] [--build]';

async function main(): Promise<void> {
  const { values } = parseOptions('example:vite', USAGE, { options: { port: { type: 'string', default: '5183' }, build: { type: 'boolean', default: false } } });
  const port = parsePort(values.port);
  await packAndInstall([EXAMPLE_VITE_APP], console.log);
  const site = await startExampleVite({ port, build: values.build });
  console.log([`${EXAMPLE_VITE_APP} ${values.build ? 'built by Vite (dist/)' : "in Vite's dev server"}: ${site.origin}/`, 'Ctrl-C stops.'].join('\n'));
}

if (isEntryPoint(import.meta.url)) runCli('example:vite', main);
