/**
 * The demo's "Stored on this device" line: what the recommender keeps in this browser (model files, memories,
 * memory updates: src/store/stored-data.ts) and a button that deletes it all. A researcher who tried both data
 * sets holds tens of MB here; the page keeps working on what it has loaded.
 */
import { deleteStoredData, storedData } from '../index.ts';

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

export function startStoredDataPanel(): { refresh(): Promise<void> } {
  const line = document.getElementById('stored')!;
  const summary = document.createElement('span');
  const button = document.createElement('button');
  button.type = 'button';
  button.id = 'stored-delete';
  button.textContent = 'Delete stored data';
  button.title = 'Deletes the model files, memories and memory updates this page stored; the next visit downloads them again';
  line.replaceChildren(summary, ' ', button);

  async function refresh(): Promise<void> {
    try {
      const { models, memories, interactions } = await storedData();
      const modelBytes = models.reduce((sum, m) => sum + m.bytes, 0);
      const memoryBytes = memories.reduce((sum, m) => sum + m.bytes, 0);
      const rows = interactions.reduce((sum, i) => sum + i.rows, 0);
      summary.textContent =
        models.length + memories.length + interactions.length === 0
          ? 'nothing'
          : `${models.length} model${models.length === 1 ? '' : 's'} (${mb(modelBytes)}), ${memories.length} ${memories.length === 1 ? 'memory' : 'memories'} (${mb(memoryBytes)}), ${rows} memory update${rows === 1 ? '' : 's'}`;
      button.disabled = models.length + memories.length + interactions.length === 0;
    } catch (error) {
      summary.textContent = `unknown (${(error as Error).message})`;
    }
  }

  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const deleted = await deleteStoredData({ everything: true });
      await refresh();
      summary.textContent += ` — deleted ${deleted.modelFiles} model files, ${deleted.memoryVersions} memories, ${deleted.interactions} update records; what is loaded stays in use until the page reloads`;
    } catch (error) {
      summary.textContent = `could not delete: ${(error as Error).message}`;
      button.disabled = false;
    }
  });
  void refresh();
  return { refresh };
}
