// The camptrack dashboard: sign in with a token, pick an area and a date, and see the hexagon
// map, totals, trend, gaps and stock, refreshed live through subscriptions when the server
// offers them.

import "./style.css";
import type { Area, Bbox } from "./api/area";
import { areaInput, areaLabel } from "./api/area";
import type { Capabilities } from "./api/client";
import { GqlError, capabilities, token } from "./api/client";
import type { LiveState } from "./api/live";
import { connectLive, liveFields } from "./api/live";
import type { AdminAreaItem, Me } from "./api/operations";
import { adminAreas, firstRoundStart, me } from "./api/operations";
import { h } from "./dom";
import type { Panel, PanelContext } from "./panels/context";
import { arrivalsSpikesPanel } from "./panels/gap-arrivals";
import { noDistributionPanel } from "./panels/gap-no-distribution";
import { staleSitesPanel } from "./panels/gap-stale";
import { MapPanel } from "./panels/map";
import { StockPanel } from "./panels/stock";
import { TotalsPanel } from "./panels/totals";
import { TrendPanel } from "./panels/trend";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const LIVE_TEXT: Record<LiveState, string> = {
  unavailable: "Live updates not available on this server",
  connecting: "Connecting for live updates…",
  live: "Live",
  reconnecting: "Live updates interrupted; reconnecting…",
};

let stopLive: () => void = () => {};

async function start(): Promise<void> {
  $("sign-out").addEventListener("click", signOut);
  $<HTMLFormElement>("sign-in").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const value = $<HTMLInputElement>("token").value.trim();
    if (value) {
      token.set(value);
      void enter();
    }
  });
  if (token.get()) await enter();
  else showSignIn("");
}

function showSignIn(error: string): void {
  $("app").hidden = true;
  $("sign-out").hidden = true;
  $("who").textContent = "";
  $("sign-in").hidden = false;
  $("sign-in-error").textContent = error;
  $<HTMLInputElement>("token").value = "";
  $("token").focus();
}

function signOut(): void {
  stopLive();
  token.clear();
  $("app").replaceChildren();
  showSignIn("");
}

async function enter(): Promise<void> {
  let who: Me;
  try {
    who = await me();
  } catch (e) {
    token.clear();
    const msg = e instanceof GqlError && e.code === "UNAUTHENTICATED" ? "This token is not valid (unknown, revoked or expired)." : `Sign-in failed: ${(e as Error).message}`;
    showSignIn(msg);
    return;
  }
  $("sign-in").hidden = true;
  $("sign-out").hidden = false;
  $("who").textContent = `${who.name} · ${who.role.toLowerCase()}${who.organisation ? ` · ${who.organisation.code}` : ""}`;
  const [caps, areas, firstRound] = await Promise.all([capabilities(), adminAreas().catch(() => []), firstRoundStart().catch(() => null)]);
  const fallbackFrom = new Date(Date.now() - 365 * 86_400_000).toISOString().slice(0, 10);
  dashboard(who, caps, areas, firstRound ?? fallbackFrom);
}

/** Builds the signed-in page. */
function dashboard(who: Me, caps: Capabilities, areas: AdminAreaItem[], trendFrom: string): void {
  const app = $("app");
  const ctx: PanelContext = { area: { kind: "all" }, asOf: null, trendFrom, caps, me: who };

  const areaSelect = h("select", { id: "area" }, h("option", { value: "" }, "All sites you may see"));
  const byParent = new Map<string | null, AdminAreaItem[]>();
  for (const a of areas) byParent.set(a.parentPcode, [...(byParent.get(a.parentPcode) ?? []), a]);
  const known = new Set(areas.map((a) => a.pcode));
  const addTree = (a: AdminAreaItem, depth: number) => {
    areaSelect.append(h("option", { value: a.pcode, "data-name": a.nameEn, "data-level": a.level }, `${"\u00a0\u00a0".repeat(depth)}${a.nameEn} (${a.pcode})`));
    for (const c of byParent.get(a.pcode) ?? []) addTree(c, depth + 1);
  };
  for (const a of areas.filter((x) => !x.parentPcode || !known.has(x.parentPcode))) addTree(a, 0);
  const boxOption = h("option", { value: "__box", hidden: true }, "Drawn box");
  areaSelect.append(boxOption);

  const asOf = h("input", { id: "as-of", type: "date", "aria-describedby": "as-of-hint" });
  const from = h("input", { id: "trend-from", type: "date", value: trendFrom });
  const live = h("span", { id: "live", class: "live", role: "status" });
  const areaLabelEl = h("p", { id: "area-label", class: "area-label", "aria-live": "polite", "data-area": "null" }, areaLabel(ctx.area));

  const map = new MapPanel((bbox: Bbox) => select({ kind: "bbox", bbox }));
  const panels: Panel[] = [map, new TotalsPanel(), new TrendPanel(), noDistributionPanel(), staleSitesPanel(), arrivalsSpikesPanel(), new StockPanel()];

  let generation = 0;
  let running: Promise<void> | null = null;
  let again = false;
  const refresh = async (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    document.body.dataset.state = "loading";
    running = Promise.all(panels.map((p) => p.update({ ...ctx }))).then(() => undefined);
    await running;
    running = null;
    if (again) {
      again = false;
      return refresh();
    }
    generation += 1;
    document.body.dataset.generation = String(generation);
    document.body.dataset.state = "ready";
  };

  const select = (area: Area) => {
    ctx.area = area;
    if (area.kind === "bbox") {
      boxOption.hidden = false;
      boxOption.textContent = areaLabel(area);
      areaSelect.value = "__box";
    }
    areaLabelEl.textContent = areaLabel(area);
    areaLabelEl.dataset.area = JSON.stringify(areaInput(area));
    void refresh();
  };

  areaSelect.addEventListener("change", () => {
    const v = areaSelect.value;
    if (v === "__box") return;
    const opt = areaSelect.selectedOptions[0];
    select(v ? { kind: "admin", pcode: v, name: opt?.dataset.name ?? v, level: Number(opt?.dataset.level ?? 0) } : { kind: "all" });
  });
  asOf.addEventListener("change", () => {
    ctx.asOf = asOf.value || null;
    void refresh();
  });
  from.addEventListener("change", () => {
    if (from.value) {
      ctx.trendFrom = from.value;
      void refresh();
    }
  });

  const controls = h(
    "form",
    { class: "controls", "aria-label": "Area and date", onsubmit: (ev: Event) => ev.preventDefault() },
    h("div", { class: "field" }, h("label", { for: "area" }, "Area"), areaSelect),
    h("div", { class: "field" }, h("label", { for: "as-of" }, "Date"), asOf, h("span", { id: "as-of-hint", class: "hint" }, "Empty: today")),
    h("div", { class: "field" }, h("label", { for: "trend-from" }, "Trend from"), from),
    h("button", { type: "button", onclick: () => void refresh() }, "Refresh"),
    live,
  );
  app.replaceChildren(controls, areaLabelEl, h("div", { class: "grid" }, ...panels.map((p) => p.element)));
  app.hidden = false;

  let timer: ReturnType<typeof setTimeout> | undefined;
  stopLive = connectLive(
    liveFields(caps),
    () => {
      clearTimeout(timer);
      timer = setTimeout(() => void refresh(), 300);
    },
    (state) => {
      live.textContent = LIVE_TEXT[state];
      live.dataset.state = state;
    },
  );
  void refresh();
}

void start();
