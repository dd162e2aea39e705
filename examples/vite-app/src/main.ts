// An app with a bundler (Vite, no configuration) using the library as an npm package. The package's worker and
// onnxruntime-web's files are copied into the app's build by Vite itself; the model folder and its memory are the
// app's to serve (here under public/models/, which the project's `npm run deploy -- --model ... --memory ... --out
// public/models/<name>` fills with only what a page fetches; `npm run example:vite` serves the repository's models/).
import { createRecommender, L2DError, type Recommender } from 'l2d-recommender';

const status = document.querySelector<HTMLParagraphElement>('#status')!;
const list = document.querySelector<HTMLOListElement>('#list')!;

try {
  const recommender: Recommender = await createRecommender({
    model: 'models/movielens-demo',
    memory: 'models/movielens-demo/memory/train-q4-f0.3-int8',
    onProgress: (p) => (status.textContent = `Loading ${p.stage}: ${p.loaded} / ${p.total}`),
  });
  const catalog = await recommender.catalog();
  const history = ['Toy Story (1995)', 'Jumanji (1995)'].map((title) => catalog.indexOf(title));
  const { items, timings, backend } = await recommender.recommend({ history, k: 10, excludeHistory: true });
  for (const item of items) list.append(Object.assign(document.createElement('li'), { textContent: item.title, title: `d = ${item.distance.toFixed(2)}` }));
  status.textContent = `${backend.encoder} + ${backend.decoder}: ${timings.total.toFixed(0)} ms`;
  Object.assign(window, { l2dExample: recommender }); // for the console (and the test)
} catch (error) {
  // Every failure the library names is an L2DError with a code (network-unavailable, shard-invalid, ...).
  status.textContent = error instanceof L2DError ? `${error.name} (${error.code}): ${error.message}` : String(error);
}
document.body.dataset.done = 'true';
