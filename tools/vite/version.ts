/** The project's version (package.json) as the builds define it for src/version.ts: the same in every build. */
import { readFileSync } from 'node:fs';

export const VERSION_DEFINE: Record<string, string> = {
  __L2D_VERSION__: JSON.stringify(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version),
};
