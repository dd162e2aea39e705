/**
 * Aborting long calls between forward passes. onnxruntime-web's wasm run can
 * resolve in microtasks alone, so a worker looping over forward passes never
 * reads its messages (a cancel from the page) until the loop ends: each check
 * first lets one macrotask turn pass.
 */

/** One turn of the event loop: a MessageChannel message, which no timer clamping delays. */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(undefined);
  });
}

/** Before the next forward pass: throws the signal's reason if it was aborted (messages read first). No signal, no cost. */
export async function throwIfAbortedBetweenPasses(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return;
  signal.throwIfAborted();
  await nextTask();
  signal.throwIfAborted();
}
