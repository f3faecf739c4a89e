// The shared shape of a gap panel: a titled list of sites with what makes each a gap, a
// parameter (days or multiple), and an export; "not available on this server" when the
// server lacks the query.

import type { Area } from "../api/area";
import { hasQuery, isMissingApi } from "../api/client";
import { exportUrl } from "../api/exports";
import type { GapRow } from "../api/gaps";
import { h, note, num } from "../dom";
import type { Panel, PanelContext } from "./context";
import { exportControl } from "./export-link";

/** What distinguishes one gap panel from another. */
export interface GapSpec {
  id: string;
  title: string;
  field: string;
  exportDataset: string;
  param: { name: string; label: string; value: number; step: number; min: number };
  load: (area: Area, asOf: string | null, param: number) => Promise<GapRow[]>;
}

export class GapPanel implements Panel {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private readonly input: HTMLInputElement;
  private ctx: PanelContext | null = null;

  constructor(private readonly spec: GapSpec) {
    const inputId = `${spec.id}-param`;
    this.input = h("input", {
      id: inputId,
      type: "number",
      min: spec.param.min,
      step: spec.param.step,
      value: spec.param.value,
      onchange: () => this.ctx && void this.update(this.ctx),
    });
    this.body = h("div", { "aria-live": "polite" });
    this.element = h(
      "section",
      { class: "panel panel-gap", "aria-labelledby": `${spec.id}-title`, "data-testid": spec.id },
      h("h2", { id: `${spec.id}-title` }, spec.title),
      h("div", { class: "toolbar" }, h("label", { for: inputId }, spec.param.label), this.input),
      this.body,
      exportControl(
        "Export list (CSV, HXL)",
        () => exportUrl(spec.exportDataset, this.ctx?.area ?? { kind: "all" }, { asOf: this.ctx?.asOf ?? null, [spec.param.name]: this.input.value }),
        () => `${spec.exportDataset}.csv`,
      ),
    );
  }

  async update(ctx: PanelContext): Promise<void> {
    this.ctx = ctx;
    if (!hasQuery(ctx.caps, this.spec.field)) {
      this.body.replaceChildren(note("Not available on this server.", "unavailable"));
      return;
    }
    try {
      this.render(await this.spec.load(ctx.area, ctx.asOf, Number(this.input.value)));
    } catch (e) {
      this.body.replaceChildren(
        isMissingApi(e) ? note("Not available on this server.", "unavailable") : note(`Could not be loaded: ${(e as Error).message}`, "error"),
      );
    }
  }

  private render(rows: GapRow[]): void {
    if (rows.length === 0) {
      this.body.replaceChildren(note("No sites."));
      return;
    }
    this.body.replaceChildren(
      h(
        "ul",
        { class: "gap-list" },
        ...rows.map((r) => h("li", {}, h("strong", {}, r.name), ` ${r.code} · ${num(r.households)} households · ${r.detail}`)),
      ),
    );
  }
}
