/** Builds a Vite config as `npm run build` does, also from inside a test process (which runs with NODE_ENV=test). */
import { build } from 'vite';

export async function viteBuild(configFile: string): Promise<void> {
  const previous = process.env.NODE_ENV;
  // Vite derives import.meta.env.PROD/DEV from NODE_ENV: a test-mode build would be a dev build.
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile, logLevel: 'warn', mode: 'production' });
  } finally {
    process.env.NODE_ENV = previous;
  }
}
