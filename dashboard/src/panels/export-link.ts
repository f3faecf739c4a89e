// The "Export CSV (HXL)" button every panel carries.

import { download } from "../api/exports";
import { h } from "../dom";

/** A button downloading `url()` as `filename()`, reporting problems beside it. */
export function exportControl(label: string, url: () => string, filename: () => string): HTMLElement {
  const status = h("span", { class: "export-status", role: "status" });
  const button = h(
    "button",
    {
      type: "button",
      class: "export",
      onclick: async () => {
        status.textContent = "Preparing…";
        const r = await download(url(), filename());
        status.textContent = r.ok ? "" : r.message;
      },
    },
    label,
  );
  return h("div", { class: "export-control" }, button, status);
}
