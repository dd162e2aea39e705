#!/usr/bin/env node
// Makes a fresh clone runnable: installs the npm packages from the lockfile
// when they are missing or stale, and (with --browser) Debian's Chromium
// when /usr/bin/chromium is missing. Plain JavaScript: it runs before any
// dependency exists.
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const wantBrowser = process.argv.includes('--browser');
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function run(command) {
  console.log(`[ensure-env] ${command}`);
  execSync(command, { cwd: root, stdio: 'inherit' });
}

const installedMarker = `${root}/node_modules/.package-lock.json`;
const lock = `${root}/package-lock.json`;
if (!existsSync(installedMarker) || statSync(installedMarker).mtimeMs < statSync(lock).mtimeMs) {
  run('npm ci --no-audit --no-fund');
}

if (wantBrowser && !existsSync(chromium)) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const sudo = isRoot ? '' : 'sudo ';
  run(`${sudo}apt-get update -qq`);
  run(`${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium`);
  if (!existsSync(chromium)) {
    console.error(`[ensure-env] Chromium is still missing at ${chromium}; install Debian's 'chromium' package or set CHROMIUM_PATH.`);
    process.exit(1);
  }
}
