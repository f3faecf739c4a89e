// Gap panel: sites with no distribution in the last N days.

import { GAPS, sitesWithoutDistribution } from "../api/gaps";
import { GapPanel } from "./gap-list";

export const noDistributionPanel = (): GapPanel =>
  new GapPanel({
    id: "gap-no-distribution",
    ...GAPS.noDistribution,
    param: { name: "days", label: "Days without distribution", value: 60, step: 1, min: 1 },
    load: sitesWithoutDistribution,
  });
