// Totals for the area and date, with sex and age (SADD) per exact band.

import { DATASETS, exportUrl } from "../api/exports";
import type { Figures, SaddTotal } from "../api/operations";
import { displacement } from "../api/operations";
import { h, note, num } from "../dom";
import type { Panel, PanelContext } from "./context";
import { exportControl } from "./export-link";

const SEXES = ["F", "M", "X", "U"] as const;
const SEX_LABEL: Record<string, string> = { F: "Female", M: "Male", X: "Other", U: "Unknown" };

export class TotalsPanel implements Panel {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private ctx: PanelContext | null = null;

  constructor() {
    this.body = h("div", { "aria-live": "polite" });
    this.element = h(
      "section",
      { class: "panel panel-totals", "aria-labelledby": "totals-title" },
      h("h2", { id: "totals-title" }, "Totals"),
      this.body,
      exportControl(
        "Export by admin area (CSV, HXL)",
        () => {
          const area = this.ctx?.area ?? { kind: "all" };
          // One level below the chosen admin area (admin 1 otherwise), at most admin 3.
          const level = area.kind === "admin" ? Math.min(area.level + 1, 3) : 1;
          return exportUrl(DATASETS.displacementByAdmin, area, { level, asOf: this.ctx?.asOf ?? null });
        },
        () => "displacement-by-admin.csv",
      ),
    );
  }

  async update(ctx: PanelContext): Promise<void> {
    this.ctx = ctx;
    try {
      this.render(await displacement(ctx.area, ctx.asOf));
    } catch (e) {
      this.body.replaceChildren(note(`Totals could not be loaded: ${(e as Error).message}`, "error"));
    }
  }

  private render(f: Figures): void {
    const stat = (field: string, label: string, value: number | null) =>
      h("div", { class: "stat" }, h("dt", {}, label), h("dd", { "data-field": field }, num(value)));
    this.body.replaceChildren(
      h(
        "dl",
        { class: "stats", "data-testid": "totals" },
        stat("sites", "Open sites", f.sites),
        stat("assessedSites", "Assessed sites", f.assessedSites),
        stat("households", "Households", f.households),
        stat("individuals", "Individuals", f.individuals),
        stat("arrivalsLast3Months", "Arrivals (3 months)", f.arrivalsLast3Months),
        stat("departuresLast3Months", "Departures (3 months)", f.departuresLast3Months),
      ),
      f.suppressed ? note("Figures are withheld: too few households in this area for your role.") : "",
      f.sadd && f.sadd.length > 0 ? saddTable(f.sadd) : f.suppressed ? "" : note("No sex and age breakdown reported."),
    );
  }
}

function band(r: SaddTotal): string {
  return r.ageMax == null ? `${r.ageMin}+` : r.ageMin === r.ageMax ? `${r.ageMin}` : `${r.ageMin}–${r.ageMax}`;
}

/** Sex and age: one row per exact band (bands are never merged), one column per sex. */
function saddTable(rows: SaddTotal[]): HTMLElement {
  const bands = [...new Map(rows.map((r) => [band(r), r])).values()].sort((a, b) => a.ageMin - b.ageMin || (a.ageMax ?? 999) - (b.ageMax ?? 999));
  const sexes = SEXES.filter((x) => rows.some((r) => r.sex === x));
  const cell = (b: SaddTotal, sex: string) => rows.find((r) => r.sex === sex && r.ageMin === b.ageMin && r.ageMax === b.ageMax)?.count ?? null;
  return h(
    "table",
    { class: "sadd", "data-testid": "sadd" },
    h("caption", {}, "People by sex and age (years)"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Age"), ...sexes.map((x) => h("th", { scope: "col" }, SEX_LABEL[x] ?? x)))),
    h(
      "tbody",
      {},
      ...bands.map((b) => h("tr", {}, h("th", { scope: "row" }, band(b)), ...sexes.map((x) => h("td", {}, num(cell(b, x)))))),
    ),
  );
}
