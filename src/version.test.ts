import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { VERSION } from './version.ts';

it("is package.json's version where Vite builds the code (here: Vitest's transform), 'source' run outside Vite", () => {
  expect(VERSION).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  const outside = execFileSync('npx', ['tsx', '-e', "import('./src/version.ts').then((m) => console.log(m.VERSION))"], { encoding: 'utf8' });
  expect(outside.trim()).toBe('source');
});
