// The admin area's small enhancements; every form works without this file.
(() => {
  // "All on this page" ticks every row of a bulk form.
  for (const all of document.querySelectorAll('[data-select-all]')) {
    all.addEventListener('change', () => {
      for (const box of all.form.querySelectorAll('input[name="ids"]')) box.checked = all.checked;
    });
  }
  // The address follows the title until someone edits it by hand.
  const source = document.querySelector('[data-slug-source]');
  const target = document.querySelector('[data-slug-target]');
  if (source && target) {
    let touched = target.value !== '';
    target.addEventListener('input', () => (touched = target.value !== ''));
    source.addEventListener('input', () => {
      if (touched) return;
      target.value = source.value.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 100);
    });
  }
  // A second confirmation for actions that also have a confirmation page without JavaScript.
  for (const form of document.querySelectorAll('form[data-confirm]')) {
    form.addEventListener('submit', (e) => {
      if (!window.confirm(form.dataset.confirm)) e.preventDefault();
    });
  }
})();
