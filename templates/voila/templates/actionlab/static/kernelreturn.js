/*
 * actionlab: a page whose kernel the server has shut down reloads itself.
 *
 * The server shuts down the kernel of a page that has had no connection for the grace period
 * (actionlab/kernels.py): a phone locked for a long while, a laptop that slept, wifi gone for
 * minutes. Such a page can show nothing and do nothing any more. So whenever the page is seen
 * again (it becomes visible, the network comes back) and every 30 s while it is open, it asks
 * the server for its own kernel; when the server no longer knows it (404), the page reloads.
 * The address bar holds the person's own link, so they are back as themselves, on a new kernel
 * (or on "the room is full" page, which tries again by itself).
 */
(function () {
  "use strict";

  var EVERY_MS = 30000;
  var checking = false;
  var reloading = false;

  function pageConfig() {
    var element = document.getElementById("jupyter-config-data");
    if (!element) {
      return null;
    }
    try {
      return JSON.parse(element.textContent);
    } catch (err) {
      return null;
    }
  }

  function check() {
    var config = pageConfig();
    if (!config || typeof config.kernelId !== "string" || checking || reloading || !window.fetch) {
      return;
    }
    if (document.visibilityState === "hidden" || navigator.onLine === false) {
      return;
    }
    var base = typeof config.baseUrl === "string" ? config.baseUrl : "/";
    if (base.slice(-1) !== "/") {
      base += "/";
    }
    checking = true;
    window
      .fetch(base + "api/kernels/" + encodeURIComponent(config.kernelId), {
        cache: "no-store",
        credentials: "same-origin",
      })
      .then(function (reply) {
        if (reply.status === 404) {
          reloading = true;
          window.location.reload();
        }
      })
      .catch(function () {
        /* the server is out of reach: ask again next time */
      })
      .then(function () {
        checking = false;
      });
  }

  document.addEventListener("visibilitychange", check);
  window.addEventListener("online", check);
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      check();
    }
  });
  window.setInterval(check, EVERY_MS);
})();
