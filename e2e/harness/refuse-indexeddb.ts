/** Makes this realm's IndexedDB refuse every open, as Chromium's does where site data is blocked. */
IDBFactory.prototype.open = function open(): IDBOpenDBRequest {
  throw new DOMException('The user denied permission to access the database.', 'UnknownError');
};
