/*
 * actionlab room page helpers (loaded by the Voila template from the same server).
 *
 * 1. When the page shows an element `.wb-self-link[data-href]`, the address bar is set to that
 *    link with history.replaceState, so a participant can bookmark or reopen their own page.
 *    Links to another origin (and anything that is not a URL) are ignored.
 * 2. When the page shows `.wb-page-title[data-title]`, it becomes the document title.
 * 3. One-tap rejoin: a participant's own link (the self link above) is remembered in this
 *    browser's localStorage per workshop code, with the name shown in `.wb-member-name`. The
 *    join form of that workshop holds an empty `.wb-rejoin[data-code][data-label]`; it is
 *    filled with `a.wb-rejoin-link` ("Continue as NAME", the label from the catalogs with
 *    `{name}` replaced) so a person whose tab closed is back as themselves in one tap. The
 *    name is typed by a person: it only ever goes in as textContent. A remembered link is
 *    forgotten when opening it shows a join form again (the link is not valid any more).
 * 4. Keyboard shortcuts for the facilitator, on when the page has `.wb-shortcuts` (the room
 *    controls; widgets/roomcontrol.py SHORTCUTS lists the keys): a key clicks the first
 *    visible, enabled element of its class. Keys typed into a form field, and keys with
 *    Ctrl, Alt or Meta, are left alone; so are arrow keys a focused tab bar uses itself.
 *
 * Widgets render after the page loads and change while it is open, so a MutationObserver
 * watches the whole document.
 */
(function () {
  "use strict";

  var SELF_LINK = ".wb-self-link[data-href]";
  var PAGE_TITLE = ".wb-page-title[data-title]";
  var MEMBER_NAME = ".wb-member-name";
  var REJOIN = ".wb-rejoin[data-code]";
  var REJOIN_LINK_CLASS = "wb-rejoin-link";
  var CODE_FORM = ".wb-join-code-input";
  var REJOIN_KEY = "actionlab.rejoin.";
  var SHORTCUTS_ON = ".wb-shortcuts";

  /* event.key → the wb- class of the button the key presses */
  var SHORTCUTS = {
    ArrowRight: "wb-room-next", PageDown: "wb-room-next", n: "wb-room-next", N: "wb-room-next",
    ArrowLeft: "wb-room-prev", PageUp: "wb-room-prev", p: "wb-room-prev", P: "wb-room-prev",
    " ": "wb-timer-toggle", Spacebar: "wb-timer-toggle", s: "wb-timer-toggle", S: "wb-timer-toggle",
    r: "wb-room-reveal", R: "wb-room-reveal",
    "+": "wb-timer-plus1",
    l: "wb-rules-toggle", L: "wb-rules-toggle",
  };

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

  /* -- one-tap rejoin ------------------------------------------------------------------- */

  function normCode(code) {
    return typeof code === "string" ? code.trim().toUpperCase() : "";
  }

  /* {href, code, me} of a same-origin personal link (`…?code=CODE&me=TOKEN`), else null. */
  function personalLink(href) {
    var target = sameOrigin(href);
    if (target === null) {
      return null;
    }
    var params = new URL(target).searchParams;
    var code = normCode(params.get("code"));
    var me = params.get("me");
    if (!code || !me) {
      return null;
    }
    return { href: target, code: code, me: me };
  }

  function storage() {
    try {
      return window.localStorage || null;
    } catch (err) {
      return null; /* storage switched off: no rejoin link, everything else works */
    }
  }

  /* The remembered {href, name, me} for a workshop code, or null. */
  function recall(code) {
    var store = storage();
    if (!store || !code) {
      return null;
    }
    var data;
    try {
      data = JSON.parse(store.getItem(REJOIN_KEY + code) || "null");
    } catch (err) {
      return null;
    }
    if (!data || typeof data.name !== "string" || data.name.trim() === "") {
      return null;
    }
    var link = personalLink(data.href);
    if (link === null || link.code !== code) {
      return null;
    }
    return { href: link.href, name: data.name.trim(), me: link.me };
  }

  function remember() {
    var el = document.querySelector(SELF_LINK);
    var nameEl = document.querySelector(MEMBER_NAME);
    var store = storage();
    if (!el || !nameEl || !store) {
      return;
    }
    var link = personalLink(el.getAttribute("data-href"));
    var name = (nameEl.textContent || "").trim();
    if (link === null || name === "") {
      return;
    }
    var value = JSON.stringify({ href: link.href, name: name });
    try {
      if (store.getItem(REJOIN_KEY + link.code) !== value) {
        store.setItem(REJOIN_KEY + link.code, value);
      }
    } catch (err) {
      /* full or refused: no rejoin link next time */
    }
  }

  /* A join form (code or group and name) on a page whose address carries `me=TOKEN` means
     that personal link no longer works (a valid one shows the member's page): forget it. */
  function forgetStale() {
    if (document.querySelector(SELF_LINK) || !document.querySelector(CODE_FORM + ", " + REJOIN)) {
      return; /* the member's page (or on its way in): the link works */
    }
    var here = personalLink(window.location.href);
    var known = here && recall(here.code);
    var store = storage();
    if (known && store && known.me === here.me) {
      try {
        store.removeItem(REJOIN_KEY + here.code);
      } catch (err) {
        /* nothing to do */
      }
    }
  }

  function syncRejoin() {
    var boxes = document.querySelectorAll(REJOIN);
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i];
      var known = recall(normCode(box.getAttribute("data-code")));
      var link = box.querySelector("a." + REJOIN_LINK_CLASS);
      if (known === null) {
        if (link) {
          link.parentNode.removeChild(link);
        }
        if (!box.hidden) {
          box.hidden = true;
        }
        continue;
      }
      var label = box.getAttribute("data-label") || "";
      /* split/join, not String.replace: a name holding "$&" must stay as typed */
      var text = label.indexOf("{name}") >= 0 ? label.split("{name}").join(known.name)
        : (label ? label + " " + known.name : known.name);
      if (!link) {
        link = document.createElement("a");
        /* the workbook's primary button look (actionlab.css styles .jupyter-button) */
        link.className = REJOIN_LINK_CLASS + " jupyter-button mod-primary";
        box.appendChild(link);
      }
      if (link.getAttribute("href") !== known.href) {
        link.setAttribute("href", known.href);
      }
      if (link.textContent !== text) {
        link.textContent = text;
      }
      if (box.hidden) {
        box.hidden = false;
      }
    }
  }

  /* -- keyboard shortcuts --------------------------------------------------------------- */

  function typingInto(event) {
    var el = event.composedPath ? event.composedPath()[0] : event.target;
    if (!el || el.nodeType !== 1) {
      el = document.activeElement;
    }
    if (!el || el.nodeType !== 1) {
      return false;
    }
    if (el.isContentEditable) {
      return true;
    }
    return el.closest("input, textarea, select, [contenteditable]:not([contenteditable='false'])") !== null;
  }

  function usable(el) {
    if (el.disabled || el.matches(":disabled") || el.getAttribute("aria-disabled") === "true") {
      return false;
    }
    if (el.getClientRects().length === 0) {
      return false; /* display: none here or above, e.g. another console tab */
    }
    return window.getComputedStyle(el).visibility !== "hidden";
  }

  /* The first visible, enabled element of class `cls` (its button when it wraps one). */
  function shortcutTarget(cls) {
    var found = document.getElementsByClassName(cls);
    for (var i = 0; i < found.length; i++) {
      var el = found[i];
      if (el.tagName !== "BUTTON") {
        el = el.querySelector("button") || el;
      }
      if (usable(el)) {
        return el;
      }
    }
    return null;
  }

  function onKeyDown(event) {
    if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey || event.isComposing) {
      return;
    }
    if (!Object.prototype.hasOwnProperty.call(SHORTCUTS, event.key)) {
      return;
    }
    if (!document.querySelector(SHORTCUTS_ON) || typingInto(event)) {
      return;
    }
    var target = shortcutTarget(SHORTCUTS[event.key]);
    if (target === null) {
      return; /* e.g. the console shows another tab: Space scrolls as usual */
    }
    event.preventDefault(); /* Space must not scroll, nor press the focused button too */
    if (!event.repeat) {
      target.click(); /* a held key acts once */
    }
  }

  function sync() {
    syncSelfLink();
    syncTitle();
    remember();
    forgetStale();
    syncRejoin();
  }

  var observer = new MutationObserver(sync);
  observer.observe(document.documentElement, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ["class", "data-href", "data-title", "data-code", "data-label"],
  });
  document.addEventListener("DOMContentLoaded", sync);
  document.addEventListener("keydown", onKeyDown);
  sync();

  window.actionlab = window.actionlab || {};
  window.actionlab.syncPage = sync;
})();
