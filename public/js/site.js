// Small progressive enhancements; every page works without this file.
(() => {
  // Sort menus submit on change, so the "Apply" button is only needed without JavaScript.
  document.documentElement.classList.add('js');
  for (const button of document.querySelectorAll('[data-print]')) button.addEventListener('click', () => window.print());
  for (const select of document.querySelectorAll('select[data-autosubmit]')) {
    select.addEventListener('change', () => select.form?.submit());
  }
  // A form that hands the shopper back to the store by itself (as Razorpay's redirect does);
  // its button stays for browsers without JavaScript.
  for (const form of document.querySelectorAll('form[data-auto-submit]')) form.submit();
  // After signing in from an emailed download link: start that download once (not again on reload).
  const auto = document.querySelector('a[data-auto-download]');
  if (auto && !sessionStorage.getItem(`auto-download:${auto.dataset.autoDownload}:${location.search}`)) {
    sessionStorage.setItem(`auto-download:${auto.dataset.autoDownload}:${location.search}`, '1');
    location.assign(auto.href);
  }
})();
