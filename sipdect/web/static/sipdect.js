// sipdect web UIs: small progressive enhancements, no inline script (the CSP forbids it).
// A button or form with data-confirm="text" asks before it submits.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const text = (event.submitter && event.submitter.dataset.confirm) || form.dataset.confirm;
  if (text && !window.confirm(text)) {
    event.preventDefault();
  }
});
// A <select data-autosubmit> submits its form when changed (filters, page sizes).
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el instanceof HTMLSelectElement && el.dataset.autosubmit !== undefined && el.form) {
    el.form.requestSubmit();
  }
});
// sipdect.post(url, data): a script's POST, with the page's CSRF token in its header.
window.sipdect = {
  csrf: () => document.querySelector('meta[name="csrf-token"]').content,
  post: (url, data) => fetch(url, {
    method: "POST", credentials: "same-origin",
    headers: {"X-CSRF-Token": window.sipdect.csrf(),
              "Content-Type": "application/x-www-form-urlencoded"},
    body: new URLSearchParams(data || {}),
  }),
};
