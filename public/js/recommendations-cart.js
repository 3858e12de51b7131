// "Complete your collection" on the cart page: asks /api/recommendations/cart what goes with the
// cart (the saved cart when signed in; the product ids of the guest cart kept in this browser)
// and shows a few cards. Prices and titles are set as text, never as HTML. Nothing here may
// break the cart: any failure leaves the section hidden.
(() => {
  const root = document.querySelector('[data-recs-cart]');
  const template = document.getElementById('recs-cart-card');
  if (!root || !template) return;
  const list = root.querySelector('[data-recs-cart-list]');
  const inr = new Intl.NumberFormat('en-IN', { style: 'currency', currency: 'INR', maximumFractionDigits: 2 });
  const money = (paise) => (paise % 100 === 0 ? inr.format(paise / 100).replace(/\.00$/, '') : inr.format(paise / 100));

  function guestIds() {
    try {
      const items = JSON.parse(localStorage.getItem('pixelbazaar.cart.v1') || '[]');
      return Array.isArray(items) ? items.map((i) => Number(i && i.productId)).filter((n) => Number.isInteger(n) && n > 0).slice(0, 20) : [];
    } catch {
      return [];
    }
  }

  async function load() {
    const params = new URLSearchParams({ limit: '4' });
    if (!root.dataset.signedIn) {
      const ids = guestIds();
      if (!ids.length) {
        root.hidden = true;
        return;
      }
      params.set('ids', ids.join(','));
    }
    const res = await fetch(`/api/recommendations/cart?${params}`, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (!res.ok) return;
    const body = await res.json();
    list.replaceChildren();
    for (const item of body.items || []) {
      const card = template.content.firstElementChild.cloneNode(true);
      card.setAttribute('data-product-slug', item.slug);
      for (const a of card.querySelectorAll('[data-link]')) a.href = `/products/${encodeURIComponent(item.slug)}`;
      card.querySelector('[data-title]').textContent = item.title;
      card.querySelector('[data-rec-reason]').textContent = item.reason;
      card.querySelector('[data-price]').textContent = money(item.price);
      const img = card.querySelector('[data-image]');
      img.src = item.image || '/img/placeholder.svg';
      list.append(card);
    }
    root.hidden = list.children.length === 0;
  }

  const run = () => load().catch(() => undefined);
  run();
  // The cart changes on this page (a line removed): suggest again once it settles.
  let timer;
  document.addEventListener('click', (e) => {
    if (e.target instanceof Element && e.target.closest('[data-remove]')) {
      clearTimeout(timer);
      timer = setTimeout(run, 800);
    }
  });
})();
