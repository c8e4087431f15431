// The host snippet: size the portal's frame to its content, and follow its
// messages. Only messages from the portal's origin are read.
(function () {
  var frame = document.getElementById('billing-portal');
  if (!frame) return;
  var portalOrigin = frame.getAttribute('data-portal-origin');
  var plan = document.querySelector('[data-testid="app-plan"]');
  var status = document.querySelector('[data-testid="app-status"]');
  function refreshPlan() {
    fetch('/plan' + window.location.search, { headers: { Accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (p) {
        if (!p) return;
        plan.textContent = p.plan;
        status.textContent = p.status;
      });
  }
  window.addEventListener('message', function (event) {
    if (event.origin !== portalOrigin || event.source !== frame.contentWindow) return;
    var m = event.data || {};
    if (m.source !== 'billing-portal') return;
    if (m.type === 'resize') frame.style.height = m.height + 'px';
    // Leave for payment only to a page of the portal (with a hosted provider,
    // also accept that provider's origin).
    if (m.type === 'checkout' && new URL(m.url).origin === portalOrigin) window.location.assign(m.url);
    // The frame keeps its page (and the confirmation on it); the app only
    // refreshes its own idea of the plan.
    if (m.type === 'plan-changed') refreshPlan();
  });
})();
