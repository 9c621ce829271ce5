/* global document, fetch, setTimeout */
// Success page: follows the order until it lands (paid / failed), so the buyer never reloads.
(function () {
  var el = document.getElementById('order-status');
  if (!el) return;
  var id = el.getAttribute('data-order-id');
  var delay = 1000;
  var started = Date.now();
  function show(s) {
    el.textContent = s.label;
    el.className = 'status status-' + s.tone;
    el.setAttribute('data-status', s.status);
    // The sentence under the heading follows too: "being saved" must not outlive the saving.
    var lead = document.getElementById('order-lead');
    if (lead && s.lead) lead.textContent = s.lead;
    var hint = document.getElementById('order-hint');
    if (hint && s.final) hint.textContent = s.hint || '';
  }
  function poll() {
    fetch('/account/orders/' + encodeURIComponent(id) + '/status', { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (s) show(s);
        if (s && s.final) return;
        // Slow down after a minute; stop after ten: the reply on X still arrives.
        if (Date.now() - started > 60000) delay = 5000;
        if (Date.now() - started < 600000) setTimeout(poll, delay);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
