"use strict";
/*
 * Stands in for the `jquery` package in this bundle (build.mjs aliases it here).
 *
 * ipywidgets and Backbone use jQuery for one thing: a view's `$el`, on which Backbone binds the
 * view's DOM events (`events()`), delegated by selector and grouped under a namespace per view
 * (`click.delegateEvents12`), and unbinds them again. jQuery is a seventh of the page's script,
 * and a phone parses it before a single widget shows, so this is the part of it they use:
 *
 *   $(element), $el[0], el instanceof $
 *   $el.on("type.namespace …", [selector], listener) and $el.off([types], [selector], [listener])
 *   $el.find(selector), $el.attr({name: value}), $el.remove()
 *
 * as jQuery does it: a delegated listener runs for every element between the event's target
 * and the view's element (not the view's element itself) that matches the selector;
 * delegated focus and blur listen to focusin and focusout, which bubble; a listener that
 * returns false stops the event and its default action.
 */

const BOUND = new WeakMap(); // element -> {entries, listening: Map(event type -> listener)}
const BUBBLING = { focus: "focusin", blur: "focusout" };

function parse(types) {
  return String(types || "").split(/\s+/).filter(Boolean).map((type) => {
    const [name, ...spaces] = type.split(".");
    return { name, spaces };
  });
}

/* One event reaching the element: delegated listeners first, level by level from the target
   up (each level's in the order they were bound), then the element's own: jQuery's order. */
function dispatch(element, real, event) {
  const entries = BOUND.get(element).entries.filter((entry) => entry.real === real);
  const queue = [];
  const delegated = entries.filter((entry) => entry.selector);
  for (let node = event.target; node && node !== element; node = node.parentNode) {
    const here = node.nodeType === 1 ? delegated.filter((entry) => node.matches(entry.selector)) : [];
    if (here.length) queue.push([node, here]);
  }
  const own = entries.filter((entry) => !entry.selector);
  if (own.length) queue.push([element, own]);
  for (const [node, listeners] of queue) {
    for (const entry of listeners) {
      if (entry.listener.call(node, event) === false) {
        event.preventDefault();
        event.stopPropagation();
      }
    }
    if (event.cancelBubble) return;
  }
}

class Wrapped {
  constructor(element) {
    if (element) this[0] = element;
    this.length = element ? 1 : 0;
  }

  on(types, selector, listener) {
    if (typeof selector === "function") {
      listener = selector;
      selector = undefined;
    }
    const element = this[0];
    if (!element || typeof listener !== "function") return this;
    if (!BOUND.has(element)) BOUND.set(element, { entries: [], listening: new Map() });
    const bound = BOUND.get(element);
    for (const { name, spaces } of parse(types)) {
      const real = selector ? BUBBLING[name] || name : name;
      bound.entries.push({ name, real, spaces, selector, listener });
      if (!bound.listening.has(real)) {
        const handler = (event) => dispatch(element, real, event);
        bound.listening.set(real, handler);
        element.addEventListener(real, handler);
      }
    }
    return this;
  }

  off(types, selector, listener) {
    if (typeof selector === "function") {
      listener = selector;
      selector = undefined;
    }
    const element = this[0];
    const bound = element && BOUND.get(element);
    if (!bound) return this;
    const wanted = types === undefined ? [{ name: "", spaces: [] }] : parse(types);
    bound.entries = bound.entries.filter((entry) => !(
      wanted.some(({ name, spaces }) =>
        (!name || name === entry.name) && spaces.every((s) => entry.spaces.includes(s)))
      && (!selector || selector === entry.selector)
      && (!listener || listener === entry.listener)));
    for (const [real, handler] of bound.listening) {
      if (!bound.entries.some((entry) => entry.real === real)) {
        element.removeEventListener(real, handler);
        bound.listening.delete(real);
      }
    }
    return this;
  }

  find(selector) {
    const found = this[0] ? Array.from(this[0].querySelectorAll(selector)) : [];
    const result = new Wrapped(found[0]);
    found.forEach((node, i) => { result[i] = node; });
    result.length = found.length;
    return result;
  }

  attr(attributes) {
    if (this[0] && attributes) {
      for (const [name, value] of Object.entries(attributes)) this[0].setAttribute(name, value);
    }
    return this;
  }

  remove() {
    if (this[0]) {
      this.off();
      this[0].remove();
    }
    return this;
  }
}

function $(element) {
  return element instanceof Wrapped ? element : new Wrapped(element);
}
$.prototype = Wrapped.prototype; // `el instanceof $` holds for what $() returns

// CommonJS, as jQuery is: Backbone `require`s it, ipywidgets imports its default
module.exports = $;
