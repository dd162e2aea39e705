/**
 * Test plumbing: Debian's Chromium with WebGPU (SwiftShader on machines
 * without a GPU), driven by playwright-core, on pages served by Vite.
 * Any WebGPU validation or WGSL message in the page's or its workers'
 * console is collected so the tests can fail on it.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { fileURLToPath } from 'node:url';
import { freePort } from '../tools/lib/static-server.ts';
import { shapeMiddleware, type NetworkShape } from '../tools/lib/network-shape.ts';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags that work on these machines (see ../shared/webgpu/README.md). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--enable-unsafe-webgpu',
];

const GPU_PROBLEM = /webgpu|wgsl|validation|\[invalid|shader|gpu ?error|device.*lost/i;

/** `backForwardCache`: keep Chromium's back/forward cache on (Playwright turns it off by default). */
export async function launchChromium(options: { backForwardCache?: boolean } = {}): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, ...(options.backForwardCache ? { ignoreDefaultArgs: ['--disable-back-forward-cache'] } : {}) });
}

/** The console errors and uncaught exceptions `page` shows from now on: a test expects none, or the ones it caused. */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

export interface HarnessPage {
  page: Page;
  baseUrl: string;
  /** Console errors, GPU warnings and uncaught exceptions seen so far. */
  problems: string[];
  /** Console messages that are expected (e.g. a deliberate device loss) and must not count as problems. */
  allow(pattern: RegExp): void;
  /** Opens `path` in another tab of the same browser context (same origin, same IndexedDB). */
  openTab(path: string): Promise<Page>;
  close(): Promise<void>;
}

/** Starts Vite on the project root and opens `path` in a fresh Chromium; with `shape`, Vite answers over that slow network. */
export async function openHarness(path: string, options: { shape?: NetworkShape } = {}): Promise<HarnessPage> {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const port = await freePort();
  const { shape } = options;
  const server: ViteDevServer = await createServer({
    root,
    configFile: `${root}/vite.config.ts`,
    logLevel: 'error',
    server: { host: '127.0.0.1', port, strictPort: true, hmr: false },
    // Added in configureServer, the shaping runs before Vite's own middlewares: every response goes through it.
    plugins: shape ? [{ name: 'l2d-network-shape', configureServer: (vite) => void vite.middlewares.use(shapeMiddleware(shape)) }] : [],
  });
  await server.listen();
  return openPage(`http://127.0.0.1:${port}`, path, () => server.close());
}

/** Opens `baseUrl/path` in a fresh Chromium (one context), collecting problems; `onClose` stops the server. */
export async function openPage(baseUrl: string, path: string, onClose: () => Promise<void> = async () => {}): Promise<HarnessPage> {
  const browser = await launchChromium();
  // One context: tabs opened with openTab share its origin storage.
  const page = await (await browser.newContext()).newPage();
  const problems: string[] = [];
  const allowed: RegExp[] = [];
  page.on('console', (msg) => {
    const text = msg.text();
    const where = msg.worker() ? 'worker' : 'page';
    if (allowed.some((a) => a.test(text))) return;
    if (msg.type() === 'error' || (msg.type() === 'warning' && GPU_PROBLEM.test(text))) problems.push(`${where} ${msg.type()}: ${text} (${msg.location().url})`);
  });
  page.on('pageerror', (error) => problems.push(`page exception: ${error.message}`));
  await page.goto(`${baseUrl}/${path}`);
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 60_000 });
  return {
    page,
    baseUrl,
    problems,
    allow: (pattern) => allowed.push(pattern),
    openTab: async (tabPath) => {
      const tab = await page.context().newPage();
      tab.on('pageerror', (error) => problems.push(`tab exception: ${error.message}`));
      await tab.goto(`${baseUrl}/${tabPath}`);
      await tab.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 60_000 });
      return tab;
    },
    close: async () => {
      await browser.close();
      await onClose();
    },
  };
}
