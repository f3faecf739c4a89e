// Gap panel: sites whose latest arrivals exceed a multiple of their previous figure.

import { GAPS, arrivalsSpikes } from "../api/gaps";
import { GapPanel } from "./gap-list";

export const arrivalsSpikesPanel = (): GapPanel =>
  new GapPanel({
    id: "gap-arrivals",
    ...GAPS.arrivals,
    param: { name: "multiple", label: "Arrivals at least × previous", value: 2, step: 0.5, min: 1 },
    load: arrivalsSpikes,
  });
