// The storefront's own script: reports views and purchases to the embed (kept in this browser only).
for (const button of document.querySelectorAll('#catalog button')) {
  button.addEventListener('click', () => window.L2D.track(button.dataset.action, Number(button.dataset.id)));
}
document.addEventListener('l2d-select', (event) => {
  document.getElementById('chosen').textContent = `Chosen: ${event.detail.title} (item ${event.detail.id})`;
});
