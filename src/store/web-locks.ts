/** Web Locks for the stores: one holder across tabs and workers, or no lock at all where the browser has none. */

/**
 * Held by a revalidation behind a load (revalidate: 'background') from its first request to its last write, and by
 * deleteStoredData: a deletion waits for a refresh under way and deletes what it stored, and nothing a refresh
 * downloads comes back after a deletion (between a retrained model's files and its memory no other lock is held).
 */
export const BACKGROUND_REFRESH_LOCK = 'l2d-background-refresh';

/** Runs `work` holding the Web Lock `name`, or at once where locks are missing. */
export async function withLock<T>(name: string, work: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  return locks ? (locks.request(name, work) as Promise<T>) : work();
}

/** As withLock, but not at all while another holds the lock. */
export async function ifUnlocked(name: string, work: () => Promise<void>): Promise<void> {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (!locks) return work();
  await locks.request(name, { ifAvailable: true }, (lock) => (lock ? work() : undefined));
}
