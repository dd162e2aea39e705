#!/usr/bin/env node
// Makes a fresh clone runnable: installs the npm packages from the lockfile
// when they are missing or stale, with --browser Debian's Chromium when
// /usr/bin/chromium is missing, and with --python Debian's torch, onnx and
// OpenBLAS for the training and export tools (tools/train, tools/export)
// when /usr/bin/python3 cannot import them. Plain JavaScript: it runs before
// any dependency exists.
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const wantBrowser = process.argv.includes('--browser');
const wantPython = process.argv.includes('--python');
const PYTHON = process.env.L2D_PYTHON ?? '/usr/bin/python3';
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

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const sudo = isRoot ? '' : 'sudo ';
let aptUpdated = false;
function aptInstall(packages) {
  if (!aptUpdated) run(`${sudo}apt-get update -qq`);
  aptUpdated = true;
  run(`${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${packages}`);
}

function pythonHas(modules) {
  try {
    execSync(`${PYTHON} -c "import ${modules}"`, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function debianHas(pkg) {
  try {
    execSync(`dpkg -s ${pkg}`, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

if (wantPython && !(pythonHas('torch, onnx, numpy') && debianHas('libopenblas0-pthread'))) {
  // libopenblas0-pthread: Debian's torch otherwise uses the reference BLAS, about 25x slower.
  aptInstall('python3-torch python3-onnx python3-numpy libopenblas0-pthread');
}

if (wantBrowser && !existsSync(chromium)) {
  aptInstall('chromium');
  if (!existsSync(chromium)) {
    console.error(`[ensure-env] Chromium is still missing at ${chromium}; install Debian's 'chromium' package or set CHROMIUM_PATH.`);
    process.exit(1);
  }
}
