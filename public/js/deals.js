// Keeps "ends in 2 d 4 h" current on offer prices and banners (the same wording as timeLeft in
// src/lib/view-helpers.ts, which the browser cannot import): the server writes the time left
// when it renders (a kept page may be a minute old), this counts down from each <time datetime>.
(() => {
  const items = [...document.querySelectorAll('time[data-countdown]')];
  if (!items.length) return;
  function left(end) {
    const minutes = Math.max(0, Math.floor((end - Date.now()) / 60000));
    const d = Math.floor(minutes / 1440);
    const h = Math.floor((minutes % 1440) / 60);
    const m = minutes % 60;
    if (d > 0) return `${d} d ${h} h`;
    if (h > 0) return `${h} h ${m} min`;
    return `${Math.max(1, m)} min`;
  }
  function tick() {
    for (const el of items) {
      const end = Date.parse(el.getAttribute('datetime'));
      if (Number.isNaN(end)) continue;
      if (end <= Date.now()) {
        // The offer is over: the price shown is no longer the price; say so rather than count on.
        const box = el.closest('.offer-ends, .offer-banner');
        if (box) box.textContent = 'This offer has ended. Reload for current prices.';
        continue;
      }
      el.textContent = left(end);
    }
  }
  tick();
  setInterval(tick, 30_000);
})();
