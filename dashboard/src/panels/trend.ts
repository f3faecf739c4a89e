// The trend chart: households per period by the latest-per-site rule, in SVG, with the
// same numbers as a table for screen readers and keyboard users.

import { DATASETS, exportUrl } from "../api/exports";
import type { TrendInterval, TrendPoint } from "../api/operations";
import { displacementTrend } from "../api/operations";
import { h, note, num, s } from "../dom";
import type { Panel, PanelContext } from "./context";
import { today } from "./context";
import { exportControl } from "./export-link";

const W = 560;
const H = 220;
const PAD = { left: 64, right: 12, top: 12, bottom: 36 };

export class TrendPanel implements Panel {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private readonly interval: HTMLSelectElement;
  private ctx: PanelContext | null = null;

  constructor() {
    this.interval = h(
      "select",
      { id: "trend-interval", onchange: () => this.ctx && void this.update(this.ctx) },
      h("option", { value: "ROUND" }, "Rounds"),
      h("option", { value: "MONTH" }, "Months"),
      h("option", { value: "WEEK" }, "Weeks"),
    );
    this.body = h("div", {});
    this.element = h(
      "section",
      { class: "panel panel-trend", "aria-labelledby": "trend-title" },
      h("h2", { id: "trend-title" }, "Trend"),
      h("div", { class: "toolbar" }, h("label", { for: "trend-interval" }, "Interval"), this.interval),
      this.body,
      exportControl(
        "Export trend (CSV, HXL)",
        () =>
          exportUrl(DATASETS.displacementTrend, this.ctx?.area ?? { kind: "all" }, {
            interval: this.interval.value,
            from: this.ctx?.trendFrom ?? null,
            to: this.ctx?.asOf ?? today(),
          }),
        () => "displacement-trend.csv",
      ),
    );
  }

  async update(ctx: PanelContext): Promise<void> {
    this.ctx = ctx;
    const to = ctx.asOf ?? today();
    if (ctx.trendFrom > to) {
      this.body.replaceChildren(note("The trend starts after the chosen date."));
      return;
    }
    try {
      this.render(await displacementTrend(ctx.area, this.interval.value as TrendInterval, ctx.trendFrom, to));
    } catch (e) {
      this.body.replaceChildren(note(`The trend could not be loaded: ${(e as Error).message}`, "error"));
    }
  }

  private render(points: TrendPoint[]): void {
    if (points.length === 0) {
      this.body.replaceChildren(note("No periods in this range."));
      return;
    }
    const values = points.map((p) => p.figures.households);
    const max = Math.max(1, ...values.map((v) => v ?? 0));
    const x = (i: number) => PAD.left + (points.length === 1 ? 0.5 : i / (points.length - 1)) * (W - PAD.left - PAD.right);
    const y = (v: number) => PAD.top + (1 - v / max) * (H - PAD.top - PAD.bottom);
    const label = (p: TrendPoint) => (p.roundNumber != null ? `R${p.roundNumber}` : p.periodStart.slice(0, 7));
    // Withheld points break the line rather than dropping to zero.
    const segments: string[] = [];
    let current = "";
    points.forEach((p, i) => {
      const v = p.figures.households;
      if (v == null) {
        if (current) segments.push(current);
        current = "";
      } else current += `${current ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
    });
    if (current) segments.push(current);
    const ticks = [0, 0.5, 1].map((f) => Math.round(max * f));
    const every = Math.max(1, Math.ceil(points.length / 8));
    const chart = s(
      "svg",
      { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": `Households per period, ${points.length} periods; the table below lists them.` },
      ...ticks.map((t) =>
        s("g", {}, s("line", { x1: PAD.left, x2: W - PAD.right, y1: y(t), y2: y(t), class: "grid" }), s("text", { x: PAD.left - 6, y: y(t) + 4, class: "tick", "text-anchor": "end" }, num(t))),
      ),
      ...points.map((p, i) => (i % every === 0 ? s("text", { x: x(i), y: H - 12, class: "tick", "text-anchor": "middle" }, label(p)) : null)),
      ...segments.map((d) => s("path", { d, class: "line" })),
      ...points.map((p, i) =>
        p.figures.households == null
          ? null
          : s("circle", { cx: x(i), cy: y(p.figures.households), r: 3.5, class: "dot" }, s("title", {}, `${label(p)} (to ${p.periodEnd}): ${num(p.figures.households)} households`)),
      ),
    );
    this.body.replaceChildren(
      chart,
      h(
        "details",
        {},
        h("summary", {}, "Trend as a table"),
        h(
          "table",
          { "data-testid": "trend-table" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Period"), h("th", { scope: "col" }, "Until"), h("th", { scope: "col" }, "Households"), h("th", { scope: "col" }, "Individuals"))),
          h(
            "tbody",
            {},
            ...points.map((p) => h("tr", {}, h("th", { scope: "row" }, label(p)), h("td", {}, p.periodEnd), h("td", {}, num(p.figures.households)), h("td", {}, num(p.figures.individuals)))),
          ),
        ),
      ),
    );
  }
}
