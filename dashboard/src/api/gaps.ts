// Gap queries (issue 7, branch `insight`). Not on main yet: each panel checks its FIELD by
// introspection and shows "not available on this server" until the field exists. When the
// insight branch lands, align FIELD, the arguments and the selection here: one function per
// operation, each returning the same `GapRow`s, so the panels need no change.

import { gql } from "./client";
import type { Area } from "./area";
import { areaInput } from "./area";

/** One row of a gap list. */
export interface GapRow {
  siteId: string;
  code: string;
  name: string;
  households: number | null;
  /** What makes it a gap, already worded (e.g. "last distribution 2024-03-01"). */
  detail: string;
}

interface SiteNode {
  id: string;
  code: string;
  name: string;
  current: { households: number | null } | null;
}

const SITE = `id code name current { households }`;

const row = (site: SiteNode, detail: string): GapRow => ({
  siteId: site.id,
  code: site.code,
  name: site.name,
  households: site.current?.households ?? null,
  detail,
});

/** The gap lists the dashboard shows, each with the query field it needs. */
export const GAPS = {
  noDistribution: { field: "sitesWithoutDistribution", title: "No distribution", exportDataset: "gaps-no-distribution" },
  stale: { field: "staleSites", title: "Stale sites", exportDataset: "gaps-stale-sites" },
  arrivals: { field: "arrivalsSpikes", title: "Arrivals spikes", exportDataset: "gaps-arrivals-spikes" },
} as const;

export type GapKind = keyof typeof GAPS;

/** Sites with no distribution in the last `days` days. */
export async function sitesWithoutDistribution(area: Area, asOf: string | null, days: number): Promise<GapRow[]> {
  const d = await gql<{ sitesWithoutDistribution: { nodes: { site: SiteNode; lastDistributedOn: string | null }[] } }>(
    `query SitesWithoutDistribution($area: AreaInput, $asOf: NaiveDate, $days: Int!) {
      sitesWithoutDistribution(area: $area, asOf: $asOf, days: $days, first: 100) {
        nodes { site { ${SITE} } lastDistributedOn } } }`,
    { area: areaInput(area), asOf, days },
  );
  return d.sitesWithoutDistribution.nodes.map((n) =>
    row(n.site, n.lastDistributedOn ? `last distribution ${n.lastDistributedOn}` : "never reached"),
  );
}

/** Sites not assessed within `days` days. */
export async function staleSites(area: Area, asOf: string | null, days: number): Promise<GapRow[]> {
  const d = await gql<{ staleSites: { nodes: { site: SiteNode; lastAssessedOn: string | null }[] } }>(
    `query StaleSites($area: AreaInput, $asOf: NaiveDate, $days: Int!) {
      staleSites(area: $area, asOf: $asOf, days: $days, first: 100) {
        nodes { site { ${SITE} } lastAssessedOn } } }`,
    { area: areaInput(area), asOf, days },
  );
  return d.staleSites.nodes.map((n) => row(n.site, n.lastAssessedOn ? `last assessed ${n.lastAssessedOn}` : "never assessed"));
}

/** Sites whose latest arrivals exceed `multiple` times their previous figure. */
export async function arrivalsSpikes(area: Area, asOf: string | null, multiple: number): Promise<GapRow[]> {
  const d = await gql<{ arrivalsSpikes: { nodes: { site: SiteNode; arrivals: number; previousArrivals: number | null }[] } }>(
    `query ArrivalsSpikes($area: AreaInput, $asOf: NaiveDate, $multiple: Float) {
      arrivalsSpikes(area: $area, asOf: $asOf, multiple: $multiple, first: 100) {
        nodes { site { ${SITE} } arrivals previousArrivals } } }`,
    { area: areaInput(area), asOf, multiple },
  );
  return d.arrivalsSpikes.nodes.map((n) =>
    row(n.site, `${n.arrivals} arrivals` + (n.previousArrivals != null ? ` (before: ${n.previousArrivals})` : "")),
  );
}
