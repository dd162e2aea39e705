/**
 * The recommender worker in a browser that refuses IndexedDB (site data blocked, some private windows): every
 * open fails as Chromium's does there. (A static import: the worker opens its store only in load(), after this
 * module's patch is in place.)
 */
import '../../workers/l2d.worker.ts';

IDBFactory.prototype.open = function open(): IDBOpenDBRequest {
  throw new DOMException('The user denied permission to access the database.', 'UnknownError');
};
