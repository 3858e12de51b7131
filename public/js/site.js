// Small progressive enhancements; every page works without this file.
(() => {
  // Sort menus submit on change, so the "Apply" button is only needed without JavaScript.
  document.documentElement.classList.add('js');
  for (const button of document.querySelectorAll('[data-print]')) button.addEventListener('click', () => window.print());
  for (const select of document.querySelectorAll('select[data-autosubmit]')) {
    select.addEventListener('change', () => select.form?.submit());
  }
})();
