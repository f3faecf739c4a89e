// Stock cover per warehouse: non-zero balances and days of cover at the chosen date, for the
// warehouses in the chosen admin area (by p-code) or box (by location).

import { DATASETS, exportUrl } from "../api/exports";
import type { Balance } from "../api/operations";
import { stockBalances } from "../api/operations";
import { h, note, num } from "../dom";
import type { Panel, PanelContext } from "./context";
import { exportControl } from "./export-link";

const COVER_WINDOW_DAYS = 30;
const LOW_COVER_DAYS = 14;

export class StockPanel implements Panel {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private ctx: PanelContext | null = null;

  constructor() {
    this.body = h("div", {});
    this.element = h(
      "section",
      { class: "panel panel-stock", "aria-labelledby": "stock-title" },
      h("h2", { id: "stock-title" }, "Stock cover per warehouse"),
      h("p", { class: "hint" }, `Days of cover at the average daily dispatch of the last ${COVER_WINDOW_DAYS} days; under ${LOW_COVER_DAYS} days is marked low.`),
      this.body,
      exportControl(
        "Export balances (CSV, HXL)",
        () =>
          // The balances export takes no area: it lists every warehouse the caller may see.
          exportUrl(DATASETS.balances, { kind: "all" }, {
            asOf: this.ctx?.asOf ?? null,
            coverWindowDays: COVER_WINDOW_DAYS,
            nonZero: "true",
          }),
        () => "stock-balances.csv",
      ),
    );
  }

  async update(ctx: PanelContext): Promise<void> {
    this.ctx = ctx;
    try {
      let rows = await stockBalances(ctx.area.kind === "admin" ? ctx.area.pcode : null, ctx.asOf, COVER_WINDOW_DAYS);
      const area = ctx.area;
      if (area.kind === "bbox") {
        const b = area.bbox;
        rows = rows.filter(({ warehouse: { location: l } }) => l.lat >= b.south && l.lat <= b.north && (b.west <= b.east ? l.lon >= b.west && l.lon <= b.east : l.lon >= b.west || l.lon <= b.east));
      }
      this.render(rows);
    } catch (e) {
      this.body.replaceChildren(note(`Stock could not be loaded: ${(e as Error).message}`, "error"));
    }
  }

  private render(rows: Balance[]): void {
    if (rows.length === 0) {
      this.body.replaceChildren(note("No stock you may see in this area."));
      return;
    }
    const sorted = [...rows].sort((a, b) => a.warehouse.code.localeCompare(b.warehouse.code) || (a.daysOfCover ?? Infinity) - (b.daysOfCover ?? Infinity));
    this.body.replaceChildren(
      h(
        "div",
        { class: "scroll" },
        h(
          "table",
          { class: "stock", "data-testid": "stock" },
          h(
            "thead",
            {},
            h("tr", {}, ...["Warehouse", "Item", "On hand", "Daily dispatch", "Days of cover"].map((t) => h("th", { scope: "col" }, t))),
          ),
          h(
            "tbody",
            {},
            ...sorted.map((r) => {
              const low = r.daysOfCover != null && r.daysOfCover < LOW_COVER_DAYS;
              return h(
                "tr",
                { class: low ? "low" : null },
                h("th", { scope: "row" }, `${r.warehouse.name}`, h("span", { class: "sub" }, ` ${r.warehouse.code}${r.warehouse.isHub ? " · hub" : ""}`)),
                h("td", {}, r.item.nameEn),
                h("td", { class: "n" }, `${num(r.quantity)} ${r.item.unit.toLowerCase()}`),
                h("td", { class: "n" }, r.averageDailyDispatch.toFixed(1)),
                h("td", { class: "n" }, r.daysOfCover == null ? "no dispatch" : `${Math.floor(r.daysOfCover)}${low ? " (low)" : ""}`),
              );
            }),
          ),
        ),
      ),
    );
  }
}
