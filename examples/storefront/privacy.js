// The privacy page's script: lists what the embed keeps in this browser and deletes it on request.
const megabytes = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
const count = (n, one, many) => `${n} ${n === 1 ? one : many}`;
let purchases = 0; // as last shown: deleteStoredData counts stored records, not the purchases in them

async function show() {
  const stored = await window.L2D.storedData();
  purchases = stored.interactions.reduce((sum, i) => sum + i.rows, 0);
  const lines = [
    `Your browsing history here: ${count(stored.historyItems, 'item', 'items')}`,
    `Your purchases in the recommender's memory: ${purchases}`,
    ...stored.models.map((m) => `Recommendation model (the store's, the same for everyone): ${megabytes(m.bytes)}`),
    ...stored.memories.map((m) => `Recommendation memory (the store's, the same for everyone): ${megabytes(m.bytes)}`),
  ];
  const list = document.getElementById('stored');
  list.replaceChildren(...lines.map((text) => Object.assign(document.createElement('li'), { textContent: text })));
  document.getElementById('delete-everything').disabled = false;
}

document.getElementById('delete-everything').addEventListener('click', async () => {
  const shownPurchases = purchases;
  const deleted = await window.L2D.deleteStoredData({ everything: true });
  await show(); // the list first: the status line then describes what the list already shows
  document.getElementById('deleted').textContent =
    `Deleted: ${count(deleted.historyItems, 'history item', 'history items')}, ${count(shownPurchases, 'purchase', 'purchases')}, ` +
    `${count(deleted.modelFiles, 'model file', 'model files')}, ${count(deleted.memoryVersions, 'memory', 'memories')}.`;
});

show().catch((error) => {
  document.getElementById('stored').replaceChildren(Object.assign(document.createElement('li'), { textContent: `Could not read it: ${error.message}` }));
});
