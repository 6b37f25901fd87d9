/*
 * Stands in for the `sanitize-html` package in this bundle (build.mjs aliases it here).
 *
 * ipywidgets passes a widget's description through sanitize-html only when the kernel sets
 * `description_allow_html`; actionlab's pages never do, since a description may hold what a
 * person typed. sanitize-html and the HTML parser and CSS parser it brings are a third of the
 * page's script, so this takes its place and lets no markup through at all: every character
 * that could start or end a tag or an attribute is escaped, and the text shows as typed.
 */
const ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export default function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ENTITIES[c]);
}
