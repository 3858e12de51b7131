// Checkout: creates (or reuses) the order, then opens Razorpay Checkout. With the built-in
// emulator (no keys configured) it goes to the emulator's test-mode payment page instead.
(() => {
  const button = document.querySelector('[data-pay]');
  if (!button) return;
  const errorBox = document.querySelector('[data-checkout-error]');
  const label = button.textContent;
  const showError = (message) => {
    errorBox.textContent = message;
    errorBox.hidden = false;
    button.disabled = false;
    button.textContent = 'Try again';
  };
  async function token() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) return meta.content;
    return (await (await fetch('/api/auth/csrf', { credentials: 'same-origin' })).json()).csrfToken;
  }
  async function post(url, body) {
    const res = await fetch(url, { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': await token() }, body: JSON.stringify(body) });
    const data = await res.json().catch(() => null);
    if (!res.ok) throw new Error(data?.error?.message || 'Something went wrong. Please try again.');
    return data;
  }

  button.addEventListener('click', async () => {
    errorBox.hidden = true;
    button.disabled = true;
    button.textContent = 'Preparing your order…';
    let order;
    try {
      order = await post('/api/orders/create', button.dataset.buy ? { productId: Number(button.dataset.buy) } : {});
    } catch (err) {
      return showError(err.message);
    }
    if (button.dataset.emulator === '1') {
      location.href = `/__razorpay/checkout?order_id=${encodeURIComponent(order.razorpayOrderId)}`;
      return;
    }
    if (typeof window.Razorpay !== 'function') return showError('The payment window could not load. Check your connection and try again.');
    const rzp = new window.Razorpay({
      key: order.keyId,
      amount: order.amount,
      currency: order.currency,
      name: button.dataset.storeName,
      order_id: order.razorpayOrderId,
      prefill: { name: order.name, email: order.email },
      theme: { color: '#4338ca' },
      handler: async (response) => {
        button.textContent = 'Confirming your payment…';
        try {
          const result = await post('/api/payments/verify', response);
          location.href = `${result.redirect}?paid=1`;
        } catch (err) {
          showError(`${err.message} If money was taken, your order will update within minutes.`);
        }
      },
      modal: { ondismiss: () => showError('Payment was cancelled. Your cart is saved; you can try again.') },
    });
    rzp.on('payment.failed', (r) => showError(`Payment failed: ${r.error?.description || 'the bank declined it'}. You can try again.`));
    rzp.open();
    button.textContent = label;
  });
})();
