// Builds the page front end into the Voila template's static folder:
// templates/voila/templates/actionlab/static/frontend.js and frontend.css.
//   npm ci && npm run build        (or: make frontend, from the repository's root)
// `node build.mjs --out DIR` writes them to DIR instead (tests compare the two).
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const flag = process.argv.indexOf("--out");
const out = flag > 0 ? path.resolve(process.argv[flag + 1])
  : path.join(here, "..", "voila", "templates", "actionlab", "static");

await build({
  entryPoints: { frontend: path.join(here, "src", "index.js") },
  outdir: out,
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2019",
  legalComments: "eof",
  // the widgets' CSS names fonts and images the pages never use (no icons): left out
  loader: { ".woff": "empty", ".woff2": "empty", ".ttf": "empty", ".eot": "empty", ".svg": "dataurl" },
  // ipywidgets' sanitize-html (and its HTML and CSS parsers, a third of the script) is used
  // for descriptions marked as HTML only, which the pages never have: text escaped instead
  // and jQuery, which ipywidgets and Backbone use only to bind a view's events: the part
  // they use instead (src/dom-events.cjs)
  alias: {
    "sanitize-html": path.join(here, "src", "escape-html.mjs"),
    jquery: path.join(here, "src", "dom-events.cjs"),
  },
  logLevel: "warning",
});
console.log(`built ${path.relative(process.cwd(), out) || "."}/frontend.js and frontend.css`);
