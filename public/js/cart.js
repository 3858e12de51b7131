// The cart in the browser. Signed-in shoppers' carts live on the server; guests' carts live in
// localStorage as [{productId, quantity}] only — never prices: every display asks the server
// for current prices. On sign-in the guest cart is merged into the saved one and cleared here;
// on sign-out this browser's copy is cleared so the next person sees an empty cart.
(() => {
  const STORE_KEY = 'pixelbazaar.cart.v1';
  const COUPON_KEY = 'pixelbazaar.coupon.v1';
  const ANON_KEY = 'pixelbazaar.anon.v1';
  const signedIn = document.body.dataset.signedIn === '1';
  const inr = new Intl.NumberFormat('en-IN', { style: 'currency', currency: 'INR', maximumFractionDigits: 2 });
  const money = (paise) => (paise % 100 === 0 ? inr.format(paise / 100).replace(/\.00$/, '') : inr.format(paise / 100));

  // --- guest storage -------------------------------------------------------------------------
  function readGuest() {
    try {
      const items = JSON.parse(localStorage.getItem(STORE_KEY) || '[]');
      return Array.isArray(items) ? items.filter((i) => Number.isInteger(i.productId) && Number.isInteger(i.quantity)) : [];
    } catch {
      return [];
    }
  }
  const writeGuest = (items) => localStorage.setItem(STORE_KEY, JSON.stringify(items));
  const clearGuest = () => {
    localStorage.removeItem(STORE_KEY);
    localStorage.removeItem(COUPON_KEY);
  };
  // A guest's coupon code is kept with the lines and checked by the server on every quote.
  const guestCoupon = () => localStorage.getItem(COUPON_KEY) || '';
  function anonymousId() {
    let id = localStorage.getItem(ANON_KEY);
    if (!id) {
      id = (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2)).replace(/[^A-Za-z0-9-]/g, '');
      localStorage.setItem(ANON_KEY, id);
    }
    return id;
  }

  // --- server calls --------------------------------------------------------------------------
  let csrfToken = document.querySelector('meta[name="csrf-token"]')?.content;
  async function token() {
    if (!csrfToken) csrfToken = (await (await fetch('/api/auth/csrf', { credentials: 'same-origin' })).json()).csrfToken;
    return csrfToken;
  }
  async function api(method, url, body) {
    const res = await fetch(url, {
      method,
      credentials: 'same-origin',
      // keepalive lets a request finish even if the shopper navigates away meanwhile.
      keepalive: method !== 'GET',
      headers: { Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json', 'X-CSRF-Token': await token() } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = res.status === 204 ? null : await res.json().catch(() => null);
    if (!res.ok) throw Object.assign(new Error(data?.error?.message || 'Something went wrong. Please try again.'), { status: res.status, code: data?.error?.code });
    return data;
  }
  const EMPTY = { items: [], subtotal: 0, discount: 0, total: 0, currency: 'INR', count: 0, dropped: [] };
  async function quote(items) {
    if (!items.length) return EMPTY;
    const code = guestCoupon();
    const priced = await api('GET', `/api/cart/quote?items=${items.map((i) => `${i.productId}:${i.quantity}`).join(',')}${code ? `&coupon=${encodeURIComponent(code)}` : ''}`);
    if (priced.couponDropped) localStorage.removeItem(COUPON_KEY);
    return priced;
  }
  const track = (action, productId) => api('POST', '/api/cart/events', { anonymousId: anonymousId(), action, productId }).catch(() => undefined);

  // --- header count --------------------------------------------------------------------------
  function showCount(count) {
    for (const el of document.querySelectorAll('[data-cart-count]')) {
      el.textContent = String(count);
      el.hidden = count === 0;
    }
  }
  const guestCount = () => readGuest().reduce((n, i) => n + i.quantity, 0);

  // --- actions -------------------------------------------------------------------------------
  async function add(productId) {
    if (signedIn) return api('POST', '/api/cart/add', { productId });
    const items = readGuest().filter((i) => i.productId !== productId);
    items.push({ productId, quantity: 1 });
    // Ask the server first so a hidden or unknown product never enters the stored cart.
    const priced = await quote(items);
    writeGuest(items.filter((i) => priced.items.some((p) => p.productId === i.productId)));
    if (priced.dropped.some((d) => d.productId === productId)) throw new Error('That product is not available any more.');
    await track('add', productId);
    return priced;
  }
  /** Sets a line's number of licences (seats, 1–10); the server prices it. */
  async function setQuantity(productId, quantity) {
    if (signedIn) return api('POST', '/api/cart/add', { productId, quantity });
    const items = readGuest().map((i) => (i.productId === productId ? { ...i, quantity } : i));
    writeGuest(items);
    return quote(items);
  }
  async function remove(productId) {
    if (signedIn) return api('POST', '/api/cart/remove', { productId });
    writeGuest(readGuest().filter((i) => i.productId !== productId));
    await track('remove', productId);
    return quote(readGuest());
  }
  async function applyCoupon(code) {
    if (signedIn) return api('POST', '/api/cart/coupon', { code });
    const priced = await api('POST', '/api/cart/coupon', { code, items: readGuest() });
    localStorage.setItem(COUPON_KEY, priced.coupon.code);
    return priced;
  }
  async function removeCoupon() {
    if (signedIn) return api('POST', '/api/cart/coupon/remove', {});
    localStorage.removeItem(COUPON_KEY);
    return quote(readGuest());
  }
  async function load() {
    if (signedIn) return api('GET', '/api/cart');
    const items = readGuest();
    const priced = await quote(items);
    if (priced.dropped.length) writeGuest(items.filter((i) => !priced.dropped.some((d) => d.productId === i.productId)));
    return { ...priced, removed: priced.dropped };
  }

  // --- sign-in and sign-out ------------------------------------------------------------------
  async function syncSession() {
    const params = new URLSearchParams(location.search);
    if (params.has('signed-out')) {
      clearGuest();
      params.delete('signed-out');
      history.replaceState(null, '', location.pathname + (params.size ? `?${params}` : '') + location.hash);
    }
    if (signedIn && readGuest().length) {
      const code = guestCoupon();
      const merged = await api('POST', '/api/cart/merge', { items: readGuest(), anonymousId: anonymousId(), ...(code ? { coupon: code } : {}) });
      clearGuest();
      showCount(merged.count);
      if (merged.dropped.length) notice(merged.dropped);
      return merged;
    }
    if (!signedIn) showCount(guestCount());
    return null;
  }

  function notice(dropped) {
    const box = document.querySelector('[data-cart-notices]');
    if (!box || !dropped.length) return;
    for (const d of dropped) {
      const p = document.createElement('div');
      p.className = 'alert alert-info';
      p.textContent = `${d.title || 'A product'} was removed from your cart: ${d.reason === 'owned' ? 'you already own it.' : 'it is no longer available.'}`;
      box.append(p);
    }
  }

  // --- product pages -------------------------------------------------------------------------
  for (const button of document.querySelectorAll('[data-add-to-cart]')) {
    button.addEventListener('click', async (event) => {
      // The button sits in a form for browsers without JavaScript; here the API does the work.
      event.preventDefault();
      const feedback = button.closest('.buy-box, .card-body, body').querySelector('[data-cart-feedback]');
      button.disabled = true;
      try {
        const cart = await add(Number(button.dataset.addToCart));
        showCount(cart.count);
        if (feedback) {
          feedback.className = 'cart-feedback ok';
          feedback.innerHTML = 'Added to your cart. <a href="/cart">View cart</a>';
        }
      } catch (err) {
        if (feedback) {
          feedback.className = 'cart-feedback error';
          feedback.textContent = err.message;
        }
      } finally {
        button.disabled = false;
      }
    });
  }

  // --- the cart page -------------------------------------------------------------------------
  const root = document.querySelector('[data-cart-root]');
  function render(cart) {
    const list = root.querySelector('[data-cart-list]');
    const template = document.getElementById('cart-line-template');
    root.querySelector('[data-cart-loading]').hidden = true;
    list.replaceChildren();
    for (const item of cart.items) {
      const li = template.content.firstElementChild.cloneNode(true);
      li.dataset.productId = String(item.productId);
      for (const a of li.querySelectorAll('[data-link]')) a.href = `/products/${item.slug}`;
      li.querySelector('[data-image]').src = item.image || '/img/placeholder.svg';
      li.querySelector('[data-title]').textContent = item.title;
      li.querySelector('[data-license]').textContent = item.licenseType.charAt(0).toUpperCase() + item.licenseType.slice(1);
      const qty = li.querySelector('[data-quantity]');
      qty.id = `qty-${item.productId}`;
      li.querySelector('[data-quantity-label]').htmlFor = qty.id;
      qty.value = String(item.quantity);
      qty.addEventListener('change', async () => {
        qty.disabled = true;
        try {
          render(await setQuantity(item.productId, Number(qty.value)));
        } catch (err) {
          qty.disabled = false;
          qty.value = String(item.quantity);
          alert(err.message);
        }
      });
      li.querySelector('[data-sale]').textContent = money(item.salePrice);
      const was = li.querySelector('[data-was]');
      was.textContent = item.discountPercent > 0 ? money(item.unitPrice) : '';
      li.querySelector('[data-line-total]').textContent = money(item.lineTotal);
      const offer = li.querySelector('[data-offer]');
      if (item.offer) {
        offer.hidden = false;
        offer.textContent = `${item.offer.name} price`;
      }
      const removeButton = li.querySelector('[data-remove]');
      removeButton.setAttribute('aria-label', `Remove ${item.title}`);
      removeButton.addEventListener('click', async () => {
        removeButton.disabled = true;
        try {
          render(await remove(item.productId));
        } catch (err) {
          removeButton.disabled = false;
          alert(err.message);
        }
      });
      list.append(li);
    }
    const empty = cart.items.length === 0;
    list.hidden = empty;
    root.querySelector('[data-cart-empty]').hidden = !empty;
    const summary = root.querySelector('[data-cart-summary]');
    summary.hidden = empty;
    // Lines show sale prices, so the subtotal is their sum and the sale saving is only a note.
    summary.querySelector('[data-cart-subtotal]').textContent = money(cart.subtotal - cart.discount);
    const saving = summary.querySelector('[data-cart-saving]');
    saving.textContent = `You save ${money(cart.discount)} on list prices (already in the prices above).`;
    saving.hidden = cart.discount === 0;
    summary.querySelector('[data-cart-total]').textContent = money(cart.total);
    renderCoupon(cart);
    showCount(cart.count);
  }

  function couponMessage(text, isError) {
    const message = root.querySelector('[data-coupon-message]');
    message.hidden = !text;
    message.textContent = text || '';
    message.classList.toggle('error', Boolean(isError));
  }
  function renderCoupon(cart) {
    const c = cart.coupon;
    const row = root.querySelector('[data-cart-coupon-row]');
    row.hidden = !(c && c.applied);
    if (c && c.applied) {
      root.querySelector('[data-cart-coupon-code]').textContent = c.code;
      root.querySelector('[data-cart-coupon-discount]').textContent = `−${money(cart.couponDiscount)}`;
    }
    root.querySelector('[data-coupon-form]').hidden = Boolean(c);
    const applied = root.querySelector('[data-coupon-applied]');
    applied.hidden = !c;
    applied.classList.toggle('coupon-idle', Boolean(c && !c.applied));
    if (c) {
      root.querySelector('[data-coupon-applied-code]').textContent = c.code;
      root.querySelector('[data-coupon-applied-text]').textContent = c.applied ? `${c.name}: you save ${money(c.discount)}` : c.message;
    }
    if (cart.couponDropped) couponMessage(`${cart.couponDropped.code}: ${cart.couponDropped.message}`, true);
  }
  if (root) {
    root.querySelector('[data-coupon-form]').addEventListener('submit', async (event) => {
      event.preventDefault();
      const input = root.querySelector('[data-coupon-input]');
      const code = input.value.trim();
      if (!code) return couponMessage('Enter a code.', true);
      const button = event.target.querySelector('button');
      button.disabled = true;
      try {
        const cart = await applyCoupon(code);
        input.value = '';
        couponMessage('');
        render(cart);
      } catch (err) {
        couponMessage(err.message, true);
      } finally {
        button.disabled = false;
      }
    });
    root.querySelector('[data-coupon-remove]').addEventListener('click', async () => {
      try {
        couponMessage('');
        render(await removeCoupon());
      } catch (err) {
        couponMessage(err.message, true);
      }
    });
  }

  (async () => {
    try {
      await syncSession();
      if (root) {
        const cart = await load();
        notice(cart.removed || []);
        render(cart);
      }
    } catch (err) {
      const box = document.querySelector('[data-cart-notices]');
      if (box) box.textContent = err.message;
    }
  })();
})();
