/** Web Locks for the stores: one holder across tabs and workers, or no lock at all where the browser has none. */

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
