// The host snippet: size the portal's frame to its content, and follow its
// messages. Only messages from the portal's origin are read.
(function () {
  var frame = document.getElementById('billing-portal');
  if (!frame) return;
  var portalOrigin = frame.getAttribute('data-portal-origin');
  window.addEventListener('message', function (event) {
    if (event.origin !== portalOrigin || event.source !== frame.contentWindow) return;
    var m = event.data || {};
    if (m.source !== 'billing-portal') return;
    if (m.type === 'resize') frame.style.height = m.height + 'px';
    // Leave for payment only to a page of the portal (with a hosted provider,
    // also accept that provider's origin).
    if (m.type === 'checkout' && new URL(m.url).origin === portalOrigin) window.location.assign(m.url);
    if (m.type === 'plan-changed') window.location.reload();
  });
})();
