// The newsletter sign-up forms (footer, home page): sent in the background so the shopper stays
// on the page. Without JavaScript, or if the call fails to reach us, the form posts as usual.
// No CSRF token is needed (the sign-up only mails a confirmation link; see routes/newsletter.ts),
// so this works on the cached guest pages that carry none.
(() => {
  for (const form of document.querySelectorAll('form[data-newsletter-form]')) {
    const feedback = form.querySelector('[data-newsletter-feedback]');
    const button = form.querySelector('button[type="submit"]');
    const show = (message, ok) => {
      feedback.textContent = message;
      feedback.className = `newsletter-feedback ${ok ? 'ok' : 'error'}`;
      feedback.hidden = false;
    };
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const data = Object.fromEntries(new FormData(form));
      button.disabled = true;
      let res;
      try {
        res = await fetch('/api/newsletter/subscribe', {
          method: 'POST',
          credentials: 'same-origin',
          headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
          body: JSON.stringify({ email: data.email, source: data.source, website: data.website }),
        });
      } catch {
        form.submit();
        return;
      } finally {
        button.disabled = false;
      }
      const body = await res.json().catch(() => null);
      if (res.ok) {
        show(body?.message || 'Almost done: check your inbox for the confirmation link.', true);
        form.querySelector('input[name="email"]').value = '';
      } else {
        show(body?.error?.fields?.email || body?.error?.message || 'Something went wrong. Please try again.', false);
      }
    });
  }
})();
