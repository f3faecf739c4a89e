// The hexagon map: displaced households per H3 cell, drawn in SVG with our own Web Mercator
// projection (no tiles), the resolution chosen by zoom, admin boundaries when loaded.
// Keyboard: arrows pan, + and - zoom; mouse: drag pans, wheel zooms; "Draw a box" turns a
// drag into an area selection, and "Use the visible map" selects the view from the keyboard.

import type { Area, Bbox } from "../api/area";
import { DATASETS, exportUrl } from "../api/exports";
import type { CellFigures, Geometry } from "../api/operations";
import { boundaries, displacementByCell } from "../api/operations";
import { h, note, num, s } from "../dom";
import type { View } from "../geo/mercator";
import { fit, fromScreen, resolutionFor, toScreen } from "../geo/mercator";
import type { Panel, PanelContext } from "./context";
import { exportControl } from "./export-link";

const WIDTH = 800;
const HEIGHT = 520;
const CLASSES = [0, 50, 200, 1_000, 5_000];

/** The fill class of a cell (0..4), by households. */
function classOf(households: number): number {
  let c = 0;
  CLASSES.forEach((t, i) => {
    if (households >= t) c = i;
  });
  return c;
}

export class MapPanel implements Panel {
  readonly element: HTMLElement;
  private readonly svg: SVGSVGElement;
  private readonly cellsLayer: SVGElement;
  private readonly boundaryLayer: SVGElement;
  private readonly boxRect: SVGElement;
  private readonly status: HTMLElement;
  private readonly table: HTMLTableSectionElement;
  private readonly drawButton: HTMLButtonElement;
  private readonly resolutionLabel: HTMLElement;
  private view: View = { cx: 128, cy: 128, zoom: 2 };
  private cells: CellFigures[] = [];
  private rings: number[][][] = [];
  private resolution = -1;
  private ctx: PanelContext | null = null;
  private drawing = false;
  private refetchTimer: ReturnType<typeof setTimeout> | undefined;
  private request = 0;

  constructor(private readonly onBox: (bbox: Bbox) => void) {
    this.svg = s("svg", {
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      class: "map",
      tabindex: 0,
      role: "application",
      "aria-roledescription": "map",
      "aria-label": "Hexagon map of displaced households. Arrow keys pan, plus and minus zoom; the table below lists the hexagons.",
      "data-testid": "map",
    }) as SVGSVGElement;
    this.boundaryLayer = s("g", { class: "boundaries" });
    this.cellsLayer = s("g", { class: "cells" });
    this.boxRect = s("rect", { class: "box", visibility: "hidden" });
    this.svg.append(s("rect", { class: "sea", width: WIDTH, height: HEIGHT }), this.cellsLayer, this.boundaryLayer, this.boxRect);
    this.status = h("p", { class: "map-status", role: "status", "aria-live": "polite" });
    this.resolutionLabel = h("span", { class: "resolution" });
    this.drawButton = h("button", { type: "button", "aria-pressed": "false", onclick: () => this.toggleDraw() }, "Draw a box");
    this.table = h("tbody");
    const legend = h(
      "ul",
      { class: "legend", "aria-label": "Households per hexagon" },
      ...CLASSES.map((t, i) => h("li", {}, h("span", { class: `swatch c${i}` }), `${num(t)}+`)),
      h("li", {}, h("span", { class: "swatch suppressed" }), "withheld (few households)"),
    );
    this.element = h(
      "section",
      { class: "panel panel-map", "aria-labelledby": "map-title" },
      h("h2", { id: "map-title" }, "Displaced households by hexagon"),
      h(
        "div",
        { class: "toolbar" },
        h("button", { type: "button", "aria-label": "Zoom in", onclick: () => this.zoomBy(1) }, "+"),
        h("button", { type: "button", "aria-label": "Zoom out", onclick: () => this.zoomBy(-1) }, "−"),
        this.drawButton,
        h("button", { type: "button", onclick: () => this.onBox(this.visibleBox()) }, "Use the visible map"),
        this.resolutionLabel,
        exportControl(
          "Export hexagons (CSV, HXL)",
          () => exportUrl(DATASETS.displacementByCell, this.ctx?.area ?? { kind: "all" }, { resolution: this.resolution, asOf: this.ctx?.asOf ?? null }),
          () => `displacement-by-cell-r${this.resolution}.csv`,
        ),
      ),
      this.svg,
      legend,
      this.status,
      h(
        "details",
        {},
        h("summary", {}, "Hexagons as a table"),
        h(
          "table",
          { class: "cells-table" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Cell"), h("th", { scope: "col" }, "Sites"), h("th", { scope: "col" }, "Households"), h("th", { scope: "col" }, "Individuals"))),
          this.table,
        ),
      ),
    );
    this.bindInput();
  }

  async update(ctx: PanelContext): Promise<void> {
    const areaChanged = !this.ctx || JSON.stringify(this.ctx.area) !== JSON.stringify(ctx.area);
    this.ctx = ctx;
    if (areaChanged) {
      this.rings = [];
      await this.fitArea(ctx.area);
    }
    await this.load(true);
  }

  /** Fits the view to the area: its box, its boundary, or where its sites are. */
  private async fitArea(area: Area): Promise<void> {
    let box: Bbox | null = null;
    if (area.kind === "bbox") box = area.bbox;
    if (area.kind === "admin") {
      try {
        const b = await boundaries(area.pcode);
        this.rings = [b.area, ...b.children].flatMap((x) => ringsOf(x.polygon));
        box = bboxOf(this.rings.flat());
      } catch {
        this.rings = [];
      }
    }
    if (!box) {
      const coarse = await displacementByCell(area, 3, this.ctx?.asOf ?? null).catch(() => null);
      box = coarse ? bboxOf(coarse.cells.flatMap((c) => c.boundary.map((p) => [p.lon, p.lat]))) : null;
    }
    if (box) this.view = fit(box.west, box.south, box.east, box.north, WIDTH, HEIGHT);
  }

  private centreLat(): number {
    return fromScreen(this.view, WIDTH, HEIGHT, WIDTH / 2, HEIGHT / 2)[1];
  }

  /** Fetches the hexagons at the resolution for the zoom (always when `force`). */
  private async load(force: boolean): Promise<void> {
    const ctx = this.ctx;
    if (!ctx) return;
    const res = resolutionFor(this.view.zoom, this.centreLat());
    if (!force && res === this.resolution) {
      this.render();
      return;
    }
    const id = ++this.request;
    this.status.textContent = "Loading hexagons…";
    this.svg.setAttribute("aria-busy", "true");
    try {
      const map = await displacementByCell(ctx.area, res, ctx.asOf);
      if (id !== this.request) return;
      this.cells = map.cells;
      this.resolution = map.resolution;
      this.render();
      const shown = this.cells.filter((c) => !c.figures.suppressed);
      const withheld = this.cells.length - shown.length;
      this.status.textContent =
        `${num(this.cells.length)} hexagons at resolution ${map.resolution}` + (withheld ? `, ${num(withheld)} withheld (few households)` : "") + ".";
    } catch (e) {
      if (id !== this.request) return;
      this.cells = [];
      this.render();
      this.status.replaceChildren(note(`The map could not be loaded: ${(e as Error).message}`, "error"));
    } finally {
      if (id === this.request) this.svg.setAttribute("aria-busy", "false");
    }
  }

  private render(): void {
    const pt = (lon: number, lat: number) => toScreen(this.view, WIDTH, HEIGHT, lon, lat);
    const path = (ring: number[][]) => "M" + ring.map(([lon, lat]) => pt(lon!, lat!).map((v) => v.toFixed(1)).join(",")).join("L") + "Z";
    this.svg.dataset.resolution = String(this.resolution);
    this.resolutionLabel.textContent = this.resolution >= 0 ? `Resolution ${this.resolution}` : "";
    this.cellsLayer.replaceChildren(
      ...this.cells.map((c) => {
        const f = c.figures;
        const label = f.suppressed
          ? `${c.cell}: ${f.sites} sites, figures withheld`
          : `${c.cell}: ${num(f.households)} households, ${num(f.individuals)} individuals, ${f.sites} sites`;
        return s(
          "path",
          {
            d: path(c.boundary.map((p) => [p.lon, p.lat])),
            class: f.suppressed ? "cell suppressed" : `cell c${classOf(f.households ?? 0)}`,
            "data-cell": c.cell,
            "data-households": f.households ?? "",
            "data-suppressed": String(f.suppressed),
          },
          s("title", {}, label),
        );
      }),
    );
    this.boundaryLayer.replaceChildren(...this.rings.map((r) => s("path", { d: path(r), class: "boundary" })));
    this.table.replaceChildren(
      ...[...this.cells]
        .sort((a, b) => (b.figures.households ?? -1) - (a.figures.households ?? -1))
        .map((c) =>
          h(
            "tr",
            {},
            h("td", {}, c.cell),
            h("td", {}, c.figures.sites),
            h("td", {}, c.figures.suppressed ? "withheld" : num(c.figures.households)),
            h("td", {}, c.figures.suppressed ? "withheld" : num(c.figures.individuals)),
          ),
        ),
    );
  }

  private scheduleLoad(): void {
    this.render();
    clearTimeout(this.refetchTimer);
    this.refetchTimer = setTimeout(() => void this.load(false), 250);
  }

  private zoomBy(delta: number, sx = WIDTH / 2, sy = HEIGHT / 2): void {
    const zoom = Math.max(1, Math.min(16, this.view.zoom + delta));
    const k0 = 2 ** this.view.zoom;
    const k1 = 2 ** zoom;
    // Keep the world point under (sx, sy) fixed.
    const wx = this.view.cx + (sx - WIDTH / 2) / k0;
    const wy = this.view.cy + (sy - HEIGHT / 2) / k0;
    this.view = { cx: wx - (sx - WIDTH / 2) / k1, cy: wy - (sy - HEIGHT / 2) / k1, zoom };
    this.scheduleLoad();
  }

  private panBy(dx: number, dy: number): void {
    const k = 2 ** this.view.zoom;
    this.view = { ...this.view, cx: this.view.cx + dx / k, cy: this.view.cy + dy / k };
    this.scheduleLoad();
  }

  private visibleBox(): Bbox {
    const [west, north] = fromScreen(this.view, WIDTH, HEIGHT, 0, 0);
    const [east, south] = fromScreen(this.view, WIDTH, HEIGHT, WIDTH, HEIGHT);
    return { west, south, east, north };
  }

  private toggleDraw(): void {
    this.drawing = !this.drawing;
    this.drawButton.setAttribute("aria-pressed", String(this.drawing));
    this.svg.classList.toggle("drawing", this.drawing);
  }

  /** SVG user units under a pointer event. */
  private local(ev: PointerEvent | WheelEvent): [number, number] {
    const r = this.svg.getBoundingClientRect();
    return [((ev.clientX - r.left) / r.width) * WIDTH, ((ev.clientY - r.top) / r.height) * HEIGHT];
  }

  private bindInput(): void {
    this.svg.addEventListener("keydown", (ev) => {
      const step = 60;
      const keys: Record<string, () => void> = {
        ArrowLeft: () => this.panBy(-step, 0),
        ArrowRight: () => this.panBy(step, 0),
        ArrowUp: () => this.panBy(0, -step),
        ArrowDown: () => this.panBy(0, step),
        "+": () => this.zoomBy(1),
        "=": () => this.zoomBy(1),
        "-": () => this.zoomBy(-1),
      };
      const act = keys[ev.key];
      if (act) {
        ev.preventDefault();
        act();
      }
    });
    this.svg.addEventListener(
      "wheel",
      (ev) => {
        ev.preventDefault();
        const [x, y] = this.local(ev);
        this.zoomBy(ev.deltaY < 0 ? 0.5 : -0.5, x, y);
      },
      { passive: false },
    );
    let start: [number, number] | null = null;
    let last: [number, number] | null = null;
    this.svg.addEventListener("pointerdown", (ev) => {
      start = last = this.local(ev);
      this.svg.setPointerCapture(ev.pointerId);
    });
    this.svg.addEventListener("pointermove", (ev) => {
      if (!start || !last) return;
      const p = this.local(ev);
      if (this.drawing) {
        const [x0, y0] = start;
        this.boxRect.setAttribute("x", String(Math.min(x0, p[0])));
        this.boxRect.setAttribute("y", String(Math.min(y0, p[1])));
        this.boxRect.setAttribute("width", String(Math.abs(p[0] - x0)));
        this.boxRect.setAttribute("height", String(Math.abs(p[1] - y0)));
        this.boxRect.setAttribute("visibility", "visible");
      } else {
        this.panBy(last[0] - p[0], last[1] - p[1]);
      }
      last = p;
    });
    this.svg.addEventListener("pointerup", (ev) => {
      const p = this.local(ev);
      if (this.drawing && start && Math.abs(p[0] - start[0]) > 4 && Math.abs(p[1] - start[1]) > 4) {
        const [w, n] = fromScreen(this.view, WIDTH, HEIGHT, Math.min(start[0], p[0]), Math.min(start[1], p[1]));
        const [e, so] = fromScreen(this.view, WIDTH, HEIGHT, Math.max(start[0], p[0]), Math.max(start[1], p[1]));
        this.toggleDraw();
        this.onBox({ west: w, south: so, east: e, north: n });
      }
      this.boxRect.setAttribute("visibility", "hidden");
      start = last = null;
    });
  }
}

/** The rings of a GeoJSON Polygon or MultiPolygon. */
function ringsOf(g: Geometry | null): number[][][] {
  if (!g) return [];
  if (g.type === "Polygon") return g.coordinates;
  if (g.type === "MultiPolygon") return g.coordinates.flat();
  return [];
}

/** The box around `[lon, lat]` points, or null when there are none. */
function bboxOf(points: number[][]): Bbox | null {
  if (points.length === 0) return null;
  let west = Infinity;
  let south = Infinity;
  let east = -Infinity;
  let north = -Infinity;
  for (const [lon, lat] of points) {
    west = Math.min(west, lon!);
    east = Math.max(east, lon!);
    south = Math.min(south, lat!);
    north = Math.max(north, lat!);
  }
  return { west, south, east, north };
}
