/**
 * The library as the npm package an app's developer installs: dist-lib/ built as `npm run build:lib` builds it and
 * packed (`npm pack ./dist-lib`), then installed into an example app (examples/vite-app, examples/webpack-app).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { emitDeclarations, viteBuild } from './vite-build.ts';

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** The library built (Vite, then tsc's declarations) and packed into `destination`; the tarball's path. */
async function packLibrary(destination: string): Promise<string> {
  await viteBuild('vite.lib.config.ts');
  emitDeclarations('tsconfig.lib.json');
  mkdirSync(destination, { recursive: true });
  const [packed] = JSON.parse(execFileSync(NPM, ['pack', './dist-lib', '--json', '--pack-destination', destination], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  return resolve(destination, packed.filename);
}

/**
 * `tarball` installed into the app in folder `app` as `npm install` would, its dependency @webgpu/types too, and not
 * saved in the app's package.json (the package is not on the npm registry). No devDependencies: this repository's
 * Vite, webpack and TypeScript run the examples. The app's node_modules starts afresh, so no bundler cache (Vite's
 * pre-bundled packages) keeps the last install's library.
 */
function installLibrary(app: string, tarball: string): void {
  const folder = resolve(app);
  rmSync(`${folder}/node_modules`, { recursive: true, force: true });
  execFileSync(NPM, ['install', '--no-save', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: folder, stdio: ['ignore', 'ignore', 'inherit'] });
}

/**
 * The library packed into test-results/library-package and installed into each app folder of `apps`; `log` hears
 * each step (the example tools print them). The tarball's path.
 */
export async function packAndInstall(apps: readonly string[], log: (line: string) => void = () => undefined): Promise<string> {
  log('Building and packing the library (vite.lib.config.ts -> dist-lib/ -> npm pack)…');
  const tarball = await packLibrary('test-results/library-package');
  const { version } = JSON.parse(readFileSync('dist-lib/package.json', 'utf8'));
  for (const app of apps) {
    log(`Installing ${relative(process.cwd(), tarball)} (l2d-recommender ${version}) into ${app}/node_modules…`);
    installLibrary(app, tarball);
  }
  return tarball;
}
