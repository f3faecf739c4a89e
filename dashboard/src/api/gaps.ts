// Gap queries (issue 7, branch `insight`). Not on main yet: each panel checks its field by
// introspection and shows "not available on this server" until the field exists. Names and
// shapes follow the insight branch's work in progress; if they change before it lands, align
// them here: one function per operation, each returning `GapRow`s, so panels need no change.

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
}

/** A site's population at the date (null households when withheld or never assessed). */
interface Population {
  households: number | null;
}

const SITE = `site { id code name } population { households }`;

const row = (site: SiteNode, population: Population | null, detail: string): GapRow => ({
  siteId: site.id,
  code: site.code,
  name: site.name,
  households: population?.households ?? null,
  detail,
});

/** The gap lists the dashboard shows, each with the query field it needs. */
export const GAPS = {
  noDistribution: { field: "sitesWithoutDistribution", title: "No distribution", exportDataset: "sites-without-distribution" },
  stale: { field: "staleSites", title: "Stale sites", exportDataset: "stale-sites" },
  arrivals: { field: "arrivalSpikes", title: "Arrivals spikes", exportDataset: "arrival-spikes" },
} as const;

export type GapKind = keyof typeof GAPS;

type Nodes<T> = { nodes: (T & { site: SiteNode; population: Population | null })[] };

/** Sites with no completed or ongoing distribution in the `days` days up to `asOf`. */
export async function sitesWithoutDistribution(area: Area, asOf: string | null, days: number): Promise<GapRow[]> {
  const d = await gql<{ sitesWithoutDistribution: Nodes<{ lastDistributionOn: string | null }> }>(
    `query SitesWithoutDistribution($area: AreaInput, $asOf: NaiveDate, $days: Int!) {
      sitesWithoutDistribution(area: $area, asOf: $asOf, days: $days, first: 100) {
        nodes { ${SITE} lastDistributionOn } } }`,
    { area: areaInput(area), asOf, days },
  );
  return d.sitesWithoutDistribution.nodes.map((n) =>
    row(n.site, n.population, n.lastDistributionOn ? `last distribution ${n.lastDistributionOn}` : "never reached"),
  );
}

/** Sites not assessed within `days` days of `asOf`. */
export async function staleSites(area: Area, asOf: string | null, days: number): Promise<GapRow[]> {
  const d = await gql<{ staleSites: Nodes<{ neverAssessed: boolean; daysSinceAssessed: number | null }> }>(
    `query StaleSites($area: AreaInput, $asOf: NaiveDate, $days: Int!) {
      staleSites(area: $area, asOf: $asOf, days: $days, first: 100) {
        nodes { ${SITE} neverAssessed daysSinceAssessed } } }`,
    { area: areaInput(area), asOf, days },
  );
  return d.staleSites.nodes.map((n) =>
    row(n.site, n.population, n.neverAssessed ? "never assessed" : `last assessed ${n.daysSinceAssessed ?? "?"} days before`),
  );
}

/** Sites whose latest arrivals exceed `multiple` times their previous figure. */
export async function arrivalsSpikes(area: Area, asOf: string | null, multiple: number): Promise<GapRow[]> {
  const d = await gql<{ arrivalSpikes: Nodes<{ arrivalsLast3Months: number | null; previousArrivalsLast3Months: number | null }> }>(
    `query ArrivalSpikes($area: AreaInput, $asOf: NaiveDate, $multiple: Float) {
      arrivalSpikes(area: $area, asOf: $asOf, multiple: $multiple, first: 100) {
        nodes { ${SITE} arrivalsLast3Months previousArrivalsLast3Months } } }`,
    { area: areaInput(area), asOf, multiple },
  );
  return d.arrivalSpikes.nodes.map((n) =>
    row(
      n.site,
      n.population,
      `${n.arrivalsLast3Months ?? "withheld"} arrivals` + (n.previousArrivalsLast3Months != null ? ` (before: ${n.previousArrivalsLast3Months})` : ""),
    ),
  );
}
