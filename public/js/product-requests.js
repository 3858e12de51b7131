// Votes without a page reload; the forms post and redirect back without this file.
(() => {
  for (const form of document.querySelectorAll('form[data-vote-form]')) {
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const button = form.querySelector('button');
      const on = form.querySelector('input[name="on"]');
      const box = form.closest('[data-vote-box]');
      button.disabled = true;
      try {
        const res = await fetch(form.action, {
          method: 'POST',
          headers: { Accept: 'application/json', 'Content-Type': 'application/json', 'X-CSRF-Token': form.querySelector('input[name="_csrf"]').value },
          body: JSON.stringify({ on: on.value === '1' }),
          credentials: 'same-origin',
        });
        if (!res.ok) {
          // Signed out, closed or throttled: let the server's page say why.
          form.submit();
          return;
        }
        const { voted, votes } = await res.json();
        on.value = voted ? '0' : '1';
        button.setAttribute('aria-pressed', String(voted));
        const title = button.getAttribute('aria-label').replace(/^(Take back your vote for|Vote for) /, '');
        button.setAttribute('aria-label', `${voted ? 'Take back your vote for' : 'Vote for'} ${title}`);
        box.classList.toggle('is-voted', voted);
        box.querySelector('[data-vote-count]').textContent = new Intl.NumberFormat('en-IN').format(votes);
        const label = box.querySelector('[data-vote-label]');
        if (label) label.textContent = voted ? 'Voted' : 'Vote';
      } catch {
        form.submit();
      } finally {
        button.disabled = false;
      }
    });
  }
})();
