// An app bundled by webpack 5 using the library as an npm package (`npm run build`, then serve this folder). The model
// folder and its memory are the app's to serve beside index.html (the project's `npm run deploy` writes one with only
// what a page fetches; `npm run example:webpack` serves the repository's models/ at /models/).
import { createRecommender, L2DError } from 'l2d-recommender';

const status = document.querySelector('#status');
const list = document.querySelector('#list');

try {
  const recommender = await createRecommender({
    model: 'models/movielens-demo',
    memory: 'models/movielens-demo/memory/train-q4-f0.3-int8',
    onProgress: (p) => (status.textContent = `Loading ${p.stage}: ${p.loaded} / ${p.total}`),
  });
  const catalog = await recommender.catalog();
  const history = ['Toy Story (1995)', 'Jumanji (1995)'].map((title) => catalog.indexOf(title));
  const { items, timings, backend } = await recommender.recommend({ history, k: 10, excludeHistory: true });
  for (const item of items) list.append(Object.assign(document.createElement('li'), { textContent: item.title, title: `d = ${item.distance.toFixed(2)}` }));
  status.textContent = `${backend.encoder} + ${backend.decoder}: ${timings.total.toFixed(0)} ms`;
  window.l2dExample = recommender; // for the console (and the test)
} catch (error) {
  status.textContent = error instanceof L2DError ? `${error.name} (${error.code}): ${error.message}` : String(error);
}
document.body.dataset.done = 'true';
