/*
 * actionlab's page front end: the live widgets of one Voila page, and nothing else.
 *
 * Voila renders a page's notebook on the server and leaves, where each output was, a script
 * tag holding that output; its own front end then starts a JupyterLab application in the
 * browser (93 script files, 4.7 MB) to connect to the page's kernel and draw the widgets.
 * An actionlab page only ever shows ipywidgets, so this does just that: it opens the page's
 * kernel with Jupyter's services library, asks the kernel for all its widgets at once, and
 * draws each widget output in its place with the ipywidgets controls (one file of about
 * 0.7 MB, 0.2 MB compressed; src/escape-html.mjs stands in for sanitize-html). On a phone
 * the page is ready in a third of the time (docs/performance.md).
 *
 * What it leaves out: other outputs (text, images, errors: an actionlab page has none),
 * widgets from other packages than ipywidgets' own, and Voila's JupyterLab plugins.
 *
 * window.actionlabFrontend = { kernel, manager, ready } for tests and benchmarks: `ready`
 * resolves once every widget output is drawn.
 */
import * as base from "@jupyter-widgets/base";
import { ManagerBase } from "@jupyter-widgets/base-manager";
import * as controls from "@jupyter-widgets/controls";
import { KernelConnection } from "@jupyterlab/services/lib/kernel/default";
import { ServerConnection } from "@jupyterlab/services/lib/serverconnection";
import { Widget } from "@lumino/widgets";

import "@jupyter-widgets/controls/css/labvariables.css";
import "@jupyter-widgets/controls/css/widgets-base.css";
import "@jupyter-widgets/controls/css/lumino.css";

const MODULES = { "@jupyter-widgets/base": base, "@jupyter-widgets/controls": controls };
const OUTPUT = 'script[type="application/vnd.voila.cell-output+json"]';
const WIDGET_VIEW = "application/vnd.jupyter.widget-view+json";

/** The widgets of one kernel: the models it sends, the views drawn of them. */
class PageWidgets extends ManagerBase {
  constructor(kernel) {
    super();
    this.kernel = kernel;
    // widgets the kernel makes later (a card added, a form opened) arrive as comms it opens
    kernel.registerCommTarget(this.comm_target_name, (comm, msg) =>
      this.handle_comm_open(new base.shims.services.Comm(comm), msg));
  }

  async loadClass(className, moduleName, moduleVersion) {
    const module = MODULES[moduleName];
    if (!module || !(className in module)) {
      throw new Error(`widget ${className} from ${moduleName} ${moduleVersion} is not in this page`);
    }
    return module[className];
  }

  async _create_comm(target, modelId, data, metadata, buffers) {
    const comm = this.kernel.createComm(target, modelId);
    if (data || metadata) {
      comm.open(data, metadata, buffers);
    }
    return new base.shims.services.Comm(comm);
  }

  async _get_comm_info() {
    const reply = await this.kernel.requestCommInfo({ target_name: this.comm_target_name });
    return reply.content.status === "ok" ? reply.content.comms : {};
  }

  /** Every widget the kernel holds, in one request. */
  load() {
    return this._loadFromKernel();
  }

  /** The widget output in ``tag`` drawn where the tag is. */
  async draw(tag) {
    const output = JSON.parse(tag.textContent);
    const spec = output.data && output.data[WIDGET_VIEW];
    if (!spec || !this.has_model(spec.model_id)) {
      return; // not a widget, or one the kernel has closed since
    }
    const view = await this.create_view(await this.get_model(spec.model_id));
    const host = document.createElement("div");
    host.className = "jp-OutputArea-output jupyter-widgets-view";
    tag.replaceWith(host);
    Widget.attach(view.luminoWidget, host);
  }
}

function pageConfig() {
  return JSON.parse(document.getElementById("jupyter-config-data").textContent);
}

async function start() {
  const config = pageConfig();
  const baseUrl = new URL(config.baseUrl || "/", window.location.href).href;
  const serverSettings = ServerConnection.makeSettings({
    baseUrl,
    wsUrl: baseUrl.replace(/^http/, "ws"),
  });
  const kernel = new KernelConnection({
    model: { id: config.kernelId, name: "python3" },
    serverSettings,
    // Voila forwards only comm and kernel-info messages: a request for a subshell would never
    // be answered (and fills the server's log with warnings), so comms stay on the main shell.
    commsOverSubshells: "disabled",
  });
  const manager = new PageWidgets(kernel);
  window.actionlabFrontend.kernel = kernel;
  window.actionlabFrontend.manager = manager;
  await manager.load();
  for (const tag of document.querySelectorAll(OUTPUT)) {
    try {
      await manager.draw(tag);
    } catch (error) {
      console.error("actionlab: a widget could not be drawn", error);
    }
  }
}

window.actionlabFrontend = { kernel: null, manager: null, ready: null };
window.actionlabFrontend.ready = start().catch((error) => {
  console.error("actionlab: the page could not reach its kernel", error);
  throw error;
});
