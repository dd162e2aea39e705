/**
 * Stands for src/default-worker.ts in the embed's build (vite.embed.config.ts): the embed always passes its own
 * Blob worker (src/embed/embed.ts), so the module worker the default would bundle (a second copy of the whole
 * worker) stays off the storefront's CDN.
 */
import { InvalidArgumentError } from '../core/errors.ts';
import type { DefaultWorker } from '../default-worker.ts';

export async function defaultWorker(): Promise<DefaultWorker> {
  throw new InvalidArgumentError('The L2D embed creates its recommender with its own worker: use L2D.recommender(), or pass `worker` to createRecommender().');
}
