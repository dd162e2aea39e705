/**
 * Parses a JSON file's text, naming the file when it is not JSON. A server that answers a missing file with its
 * index page (Vite's dev server in SPA mode, many static hosts) sends HTML with status 200; that answer is named
 * as such, since "Unexpected token '<'" says nothing about the missing file behind it.
 */
export function parseJsonText<T>(text: string, where: string, fail: (message: string) => Error): T {
  if (/^\s*</.test(text)) {
    throw fail(`${where}: the server answered with an HTML page, not this JSON file (is the file there? Many servers answer a missing file with their index page).`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw fail(`${where}: not valid JSON (${(error as Error).message}).`);
  }
}
