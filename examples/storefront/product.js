// The product page's own script: one template for every item (product.html?id=42; item 100 without one).
// The embed loads `async` here, so it may not have run yet: calls go through L2DQueue, which the embed
// runs once it is there (and at once after that).
const param = new URLSearchParams(location.search).get('id');
const id = param === null ? 100 : Number(param);
if (Number.isInteger(id) && id >= 0) {
  if (id !== 100) {
    document.querySelector('h1').textContent = `Item ${id}`;
    const alsoLike = document.getElementById('also-like');
    alsoLike.setAttribute('history', String(id));
    alsoLike.setAttribute('exclude', String(id));
  }
  (window.L2DQueue ||= []).push((L2D) => L2D.track('view', id));
}
