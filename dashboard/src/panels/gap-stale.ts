// Gap panel: sites not assessed within N days.

import { GAPS, staleSites } from "../api/gaps";
import { GapPanel } from "./gap-list";

export const staleSitesPanel = (): GapPanel =>
  new GapPanel({
    id: "gap-stale",
    ...GAPS.stale,
    param: { name: "days", label: "Not assessed for days", value: 120, step: 1, min: 1 },
    load: staleSites,
  });
