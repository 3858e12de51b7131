// Reports one view of the product on this page (POST /api/products/:id/views), for the analytics
// funnel. Product pages reach guests from the shared page cache, so the server cannot count them
// as it renders; the page says which product it shows in data-product-view. The call carries the
// browser's anonymous id (the one cart.js uses for cart events) and, when signed in, the session
// cookie. No CSRF token: beacons cannot send headers and cached pages carry none, and the route
// accepts views without one (see routes/product-views.ts). Nothing here may ever break the page.
(() => {
  const ANON_KEY = 'pixelbazaar.anon.v1';
  const el = document.querySelector('[data-product-view]');
  const productId = el && el.getAttribute('data-product-view');
  if (!productId || !/^[1-9]\d{0,9}$/.test(productId)) return;

  const newId = () => (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2)).replace(/[^A-Za-z0-9-]/g, '');
  function anonymousId() {
    // Created the same way as cart.js does, so both scripts share one id whichever runs first.
    try {
      let id = localStorage.getItem(ANON_KEY);
      if (!id) {
        id = newId();
        localStorage.setItem(ANON_KEY, id);
      }
      return id;
    } catch {
      // Storage blocked: an id for this page only (the view still counts, just not deduplicated).
      return newId();
    }
  }

  function send() {
    const url = `/api/products/${productId}/views`;
    // Form-encoded: a CORS-safelisted type, which sendBeacon sends in every browser.
    const body = new URLSearchParams({ anonymousId: anonymousId() });
    try {
      if (navigator.sendBeacon && navigator.sendBeacon(url, body)) return;
    } catch {
      // fall through to fetch
    }
    try {
      fetch(url, { method: 'POST', body, credentials: 'same-origin', keepalive: true }).catch(() => undefined);
    } catch {
      // a view not counted is not worth an error
    }
  }

  // A page the browser prerenders is not a view until the shopper actually opens it.
  if (document.prerendering) document.addEventListener('prerenderingchange', send, { once: true });
  else send();
})();
