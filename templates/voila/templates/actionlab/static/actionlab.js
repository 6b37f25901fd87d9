/*
 * actionlab room page helpers (loaded by the Voila template from the same server).
 *
 * 1. When the page shows an element `.wb-self-link[data-href]`, the address bar is set to that
 *    link with history.replaceState, so a participant can bookmark or reopen their own page.
 *    Links to another origin (and anything that is not a URL) are ignored.
 * 2. When the page shows `.wb-page-title[data-title]`, it becomes the document title.
 *
 * Widgets render after the page loads and change while it is open, so a MutationObserver
 * watches the whole document.
 */
(function () {
  "use strict";

  var SELF_LINK = ".wb-self-link[data-href]";
  var PAGE_TITLE = ".wb-page-title[data-title]";

  /* The absolute URL of `href` when it belongs to this page's origin, otherwise null. */
  function sameOrigin(href) {
    if (typeof href !== "string" || href.trim() === "") {
      return null;
    }
    var url;
    try {
      url = new URL(href.trim(), window.location.href);
    } catch (err) {
      return null;
    }
    if (url.origin !== window.location.origin) {
      return null;
    }
    return url.href;
  }

  function syncSelfLink() {
    var el = document.querySelector(SELF_LINK);
    if (!el) {
      return;
    }
    var target = sameOrigin(el.getAttribute("data-href"));
    if (target === null || target === window.location.href) {
      return;
    }
    try {
      window.history.replaceState(null, "", target);
    } catch (err) {
      /* a browser may refuse; the page still works without it */
    }
  }

  function syncTitle() {
    var el = document.querySelector(PAGE_TITLE);
    if (!el) {
      return;
    }
    var title = el.getAttribute("data-title");
    if (title && document.title !== title) {
      document.title = title;
    }
  }

  function sync() {
    syncSelfLink();
    syncTitle();
  }

  var observer = new MutationObserver(sync);
  observer.observe(document.documentElement, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ["class", "data-href", "data-title"],
  });
  document.addEventListener("DOMContentLoaded", sync);
  sync();

  window.actionlab = window.actionlab || {};
  window.actionlab.syncPage = sync;
})();
