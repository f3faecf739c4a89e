// What every panel is given when the selection changes.

import type { Area } from "../api/area";
import type { Capabilities } from "../api/client";
import type { Me } from "../api/operations";

/** The current selection and what the server offers. */
export interface PanelContext {
  area: Area;
  /** The day figures are for; null for today (the current figures). */
  asOf: string | null;
  /** First day of the trend. */
  trendFrom: string;
  caps: Capabilities;
  me: Me;
}

/** A panel: built once, updated on every selection change or live event. */
export interface Panel {
  readonly element: HTMLElement;
  update(ctx: PanelContext): Promise<void>;
}

/** Today in UTC, `YYYY-MM-DD`. */
export function today(): string {
  return new Date().toISOString().slice(0, 10);
}
