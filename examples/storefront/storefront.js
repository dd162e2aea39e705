// The storefront's own script: reports views and purchases to the embed (kept in this browser only).
for (const button of document.querySelectorAll('#catalog button')) {
  // Catalog ids are numbers; a store that speaks its own ids (data-ids="source") passes them as they are.
  const id = () => (window.L2D.config.ids === 'source' ? button.dataset.id : Number(button.dataset.id));
  button.addEventListener('click', () => window.L2D.track(button.dataset.action, id()));
}
document.addEventListener('l2d-select', (event) => {
  document.getElementById('chosen').textContent = `Chosen: ${event.detail.title} (item ${event.detail.id})`;
});
