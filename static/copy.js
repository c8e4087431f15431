// Copy buttons: <button data-copy="#input-id"> copies that input's value.
// Loaded as a file because the CSP allows no inline script.
document.addEventListener('click', function (event) {
  var button = event.target.closest('[data-copy]');
  if (!button) return;
  var input = document.querySelector(button.getAttribute('data-copy'));
  if (!input) return;
  input.select();
  var done = function () { button.textContent = 'Copied'; };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand('copy'); done(); });
  } else {
    document.execCommand('copy');
    done();
  }
});
