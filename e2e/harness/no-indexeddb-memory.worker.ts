/** The memory worker in a browser that refuses IndexedDB (no-indexeddb.worker.ts). */
import '../../workers/memory.worker.ts';
import './refuse-indexeddb.ts';
