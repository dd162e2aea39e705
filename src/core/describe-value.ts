/** How an error message names a value the caller gave: a string quoted and called one (`"12"` is not the id 12). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `"${value}" (a string)`;
  if (Array.isArray(value) || value === null || typeof value !== 'object') return String(value);
  return 'an object';
}
