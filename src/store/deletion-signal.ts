/**
 * deleteStoredData() tells work behind the page that stores data (a background revalidation's downloads) to stop, so
 * that the deletion need not wait for a whole download under way (it waits for BACKGROUND_REFRESH_LOCK, which such
 * work holds: that lock, not this message, keeps what a refresh stores from outliving the deletion). Every tab and
 * worker of the origin hears it (BroadcastChannel).
 */
const CHANNEL = 'l2d-stored-data-deletion';

/** Tells every tab and worker of this origin that its stored data is being deleted. */
export function announceDeletion(): void {
  if (typeof BroadcastChannel !== 'function') return;
  const channel = new BroadcastChannel(CHANNEL);
  channel.postMessage('deleting');
  channel.close();
}

/** Runs `work` with a signal that aborts where a deletion is announced meanwhile (fetches given it then reject). */
export async function stoppedByDeletion<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(CHANNEL) : undefined;
  if (channel) channel.onmessage = () => controller.abort(new DOMException('the stored data is being deleted (deleteStoredData)', 'AbortError'));
  try {
    return await work(controller.signal);
  } finally {
    channel?.close();
  }
}
