/**
 * example:esm: examples/esm as a site without a bundler runs it, with the library built (npm run build:lib ->
 * dist-lib/): the page at /, the library as /l2d/, the models beside, from one plain static server.
 * e2e/library.test.ts and bench:first-visit serve it the same way (startExampleEsm).
 *
 *   npm run example:esm [-- --port 5182]
 *
 * Prints the page's address; Ctrl-C stops.
 */
import { isEntryPoint, parseOptions, parsePort, portInUse, runCli } from '../lib/cli.ts';
import { startStaticServer, type StaticServer } from '../lib/static-server.ts';
import { viteBuild } from '../lib/vite-build.ts';

/** What the site serves: URL prefix -> folder. */
export const EXAMPLE_ESM_ROUTES: Readonly<Record<string, string>> = { '/l2d/': 'dist-lib', '/models/': 'models', '/': 'examples/esm' };

/** The site, serving dist-lib/ as it is (build it first: `npm run build:lib`). */
export function startExampleEsm(port?: number): Promise<StaticServer> {
  return startStaticServer({ routes: { ...EXAMPLE_ESM_ROUTES }, port });
}

const USAGE = 'usage: npm run example:esm [-- --port 5182]';

async function main(): Promise<void> {
  const { values } = parseOptions('example:esm', USAGE, { options: { port: { type: 'string', default: '5182' } } });
  const port = parsePort(values.port);
  // The port first: a taken one is said at once, not after the build.
  const site = await startExampleEsm(port).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EADDRINUSE') throw error;
    throw portInUse(port);
  });
  console.log('Building the library (vite.lib.config.ts -> dist-lib/)…');
  await viteBuild('vite.lib.config.ts');
  console.log([`examples/esm, the library imported as ./l2d/l2d.js: ${site.origin}/`, 'Ctrl-C stops.'].join('\n'));
}

if (isEntryPoint(import.meta.url)) runCli('example:esm', main);
