/**
 * A store's or an app's TypeScript checked against a built output's declarations (dist-lib/l2d.d.ts,
 * dist-embed/l2d-embed.d.ts), as a strict project would: the declarations' own files checked too.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const TSC = resolve('node_modules/.bin/tsc');

/** tsc's exit status and what it printed for `files` (name -> source) in a fresh folder under test-results/. */
export function typeCheckApp(name: string, files: Record<string, string>): { status: number | null; output: string } {
  const app = resolve('test-results', name);
  rmSync(app, { recursive: true, force: true });
  mkdirSync(app, { recursive: true });
  for (const [file, source] of Object.entries(files)) writeFileSync(`${app}/${file}`, source);
  writeFileSync(`${app}/tsconfig.json`, JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'bundler', strict: true, lib: ['ES2022', 'DOM'], noEmit: true, skipLibCheck: false, types: [] },
    files: Object.keys(files),
  }));
  return typeCheckProject(app);
}

/** tsc's exit status and what it printed for the project in `folder` (its own tsconfig.json). */
export function typeCheckProject(folder: string): { status: number | null; output: string } {
  const run = spawnSync(TSC, ['-p', folder], { encoding: 'utf8' });
  return { status: run.status, output: run.stdout + run.stderr };
}
