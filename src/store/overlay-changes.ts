/**
 * Tells this site's other tabs that the stored memory updates (overlays) of a shard changed, so that a purchase
 * or a forget() in one tab is every open tab's at once, not at its reload. A BroadcastChannel: same origin,
 * same browser profile; nothing leaves the device. ShardStore announces each overlay write it commits; the
 * worker listens and reads the stored record again.
 */
const CHANNEL_NAME = 'l2d-overlays';

export interface OverlayChange {
  /** The shard URL whose overlays changed. */
  shard: string;
  /** The model's SHA-256; absent: every model's overlay of the shard (deleteOverlaysOf). */
  model?: string;
}

/** This context's own announcements come back to its listeners on another channel object: they are skipped by it. */
const sender = typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : String(Math.random());

function isChange(data: unknown): data is OverlayChange & { from: string } {
  const change = data as Partial<OverlayChange & { from: string }> | null;
  return typeof change?.shard === 'string' && typeof change.from === 'string' && (change.model === undefined || typeof change.model === 'string');
}

/** Announces a committed change to the other contexts of this origin (none where the browser lacks BroadcastChannel). */
export function announceOverlayChange(change: OverlayChange): void {
  if (typeof BroadcastChannel !== 'function') return;
  // A channel per message: none stays open in a page that only writes (an open one may keep it from the back/forward cache).
  const channel = new BroadcastChannel(CHANNEL_NAME);
  channel.postMessage({ ...change, from: sender });
  channel.close();
}

/** Calls `listener` for each change another context announces; returns the unsubscribe. */
export function onOverlayChange(listener: (change: OverlayChange) => void): () => void {
  if (typeof BroadcastChannel !== 'function') return () => undefined;
  const channel = new BroadcastChannel(CHANNEL_NAME);
  channel.onmessage = (event: MessageEvent) => {
    if (isChange(event.data) && event.data.from !== sender) listener({ shard: event.data.shard, ...(event.data.model !== undefined ? { model: event.data.model } : {}) });
  };
  return () => channel.close();
}

/** Whether a change touches the overlay of (model, shard). */
export function touches(change: OverlayChange, model: string, shard: string): boolean {
  return change.shard === shard && (change.model === undefined || change.model === model);
}
