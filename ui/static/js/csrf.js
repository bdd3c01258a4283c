// Sends the page's CSRF token (from <meta name="csrf-token">) with every htmx request, so
// state-changing htmx calls made with the session cookie pass the server's CSRF check.
// Kept as a static file: the Content-Security-Policy allows no inline scripts.
(function () {
  "use strict";
  function token() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
  document.addEventListener("htmx:configRequest", function (event) {
    var value = token();
    if (value) {
      event.detail.headers["X-CSRF-Token"] = value;
    }
  });
})();
