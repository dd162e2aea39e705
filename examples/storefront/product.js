// The product page's own script. The embed loads `async` here, so it may not have run yet: calls go
// through L2DQueue, which the embed runs once it is there (and at once after that).
(window.L2DQueue ||= []).push((L2D) => L2D.track('view', 100));
