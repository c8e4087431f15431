// Runs when the portal is embedded in an app's frame. It talks to the
// parent only at the origin the server named (never "*"), and ignores
// messages from anywhere else.
//   to the parent:  {source: "billing-portal", type: "resize", height}
//                   {source: "billing-portal", type: "checkout", url}  to leave for payment at the top level
//                   {source: "billing-portal", type: "plan-changed", plan}
//   from the parent: {type: "refresh"} reloads the portal page.
(function () {
  var parentOrigin = document.documentElement.getAttribute('data-embed-origin');
  if (!parentOrigin || window.parent === window) return;

  function send(message) {
    message.source = 'billing-portal';
    window.parent.postMessage(message, parentOrigin);
  }

  // The page's own height is the frame's (html is 100% tall), so measure
  // the content: the bottom of <main>.
  var main = document.getElementById('main');
  var lastHeight = 0;
  function reportHeight() {
    var height = Math.ceil(main.getBoundingClientRect().bottom + window.scrollY);
    if (height !== lastHeight) {
      lastHeight = height;
      send({ type: 'resize', height: height });
    }
  }
  new ResizeObserver(reportHeight).observe(main);
  window.addEventListener('load', reportHeight);
  reportHeight();

  // Payment never opens inside the frame: the app navigates its own window
  // there, and the link (target=_top) works when clicked.
  var pay = document.querySelector('[data-checkout-url]');
  if (pay) send({ type: 'checkout', url: pay.getAttribute('data-checkout-url') });

  if (main.getAttribute('data-plan-changed')) {
    send({ type: 'plan-changed', plan: main.getAttribute('data-plan-changed') });
  }

  window.addEventListener('message', function (event) {
    if (event.origin !== parentOrigin || event.source !== window.parent) return;
    if (event.data && event.data.type === 'refresh') window.location.reload();
  });
})();
