/** Builds a Vite config as `npm run build` does, also from inside a test process (which runs with NODE_ENV=test). */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { build, type InlineConfig } from 'vite';

/** `config`: a config file's path, or an inline config (an app's root, with no file of ours). */
export async function viteBuild(config: string | InlineConfig): Promise<void> {
  const previous = process.env.NODE_ENV;
  // Vite derives import.meta.env.PROD/DEV from NODE_ENV: a test-mode build would be a dev build.
  process.env.NODE_ENV = 'production';
  try {
    await build({ ...(typeof config === 'string' ? { configFile: config } : config), logLevel: 'warn', mode: 'production' });
  } finally {
    process.env.NODE_ENV = previous;
  }
}

/** Writes a built output's declarations as its npm script does after the Vite build (tsconfig.lib.json, tsconfig.embed.json). */
export function emitDeclarations(tsconfig: string): void {
  execFileSync(resolve('node_modules/.bin/tsc'), ['-p', tsconfig]);
}
