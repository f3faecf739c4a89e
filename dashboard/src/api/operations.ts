// One function per GraphQL operation on main's schema. Panels call these, never `gql` directly.

import { gql } from "./client";
import type { Area } from "./area";
import { areaInput } from "./area";

export interface SaddTotal {
  sex: "F" | "M" | "X" | "U";
  ageMin: number;
  ageMax: number | null;
  count: number;
}

export interface Figures {
  sites: number;
  assessedSites: number;
  suppressed: boolean;
  households: number | null;
  individuals: number | null;
  arrivalsLast3Months: number | null;
  departuresLast3Months: number | null;
  sadd?: SaddTotal[] | null;
}

export interface Me {
  name: string;
  role: "ADMIN" | "COORDINATOR" | "PARTNER" | "ENUMERATOR";
  organisation: { code: string; name: string } | null;
}

export function me(): Promise<Me> {
  return gql<{ me: Me }>(`query Me { me { name role organisation { code name } } }`).then((d) => d.me);
}

export interface AdminAreaItem {
  pcode: string;
  level: number;
  parentPcode: string | null;
  nameEn: string;
}

/** Admin areas (levels 0 to 2) for the picker, every page. */
export async function adminAreas(): Promise<AdminAreaItem[]> {
  const out: AdminAreaItem[] = [];
  let after: string | null = null;
  for (let page = 0; page < 20; page++) {
    const d: { adminAreas: { nodes: AdminAreaItem[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } =
      await gql(
        `query AdminAreas($after: String) { adminAreas(first: 500, after: $after) {
          nodes { pcode level parentPcode nameEn } pageInfo { hasNextPage endCursor } } }`,
        { after },
      );
    out.push(...d.adminAreas.nodes.filter((a) => a.level <= 2));
    if (!d.adminAreas.pageInfo.hasNextPage) break;
    after = d.adminAreas.pageInfo.endCursor;
  }
  return out;
}

/** GeoJSON geometry as camptrack stores admin boundaries. */
export type Geometry =
  | { type: "Polygon"; coordinates: number[][][] }
  | { type: "MultiPolygon"; coordinates: number[][][][] };

export interface Boundary {
  pcode: string;
  nameEn: string;
  polygon: Geometry | null;
}

/** An admin area's boundary and its children's (for drawing), when loaded. */
export async function boundaries(pcode: string): Promise<{ area: Boundary; children: Boundary[] }> {
  const d = await gql<{ adminArea: Boundary; adminAreas: { nodes: Boundary[] } }>(
    `query Boundaries($pcode: String!) {
      adminArea(pcode: $pcode) { pcode nameEn polygon }
      adminAreas(parentPcode: $pcode, first: 500) { nodes { pcode nameEn polygon } }
    }`,
    { pcode },
  );
  return { area: d.adminArea, children: d.adminAreas.nodes };
}

const FIGURES = `sites assessedSites suppressed households individuals arrivalsLast3Months departuresLast3Months`;

/** `displacement`: totals with SADD. */
export function displacement(area: Area, asOf: string | null): Promise<Figures> {
  return gql<{ displacement: Figures }>(
    `query Displacement($area: AreaInput, $asOf: NaiveDate) {
      displacement(area: $area, asOf: $asOf) { ${FIGURES} sadd { sex ageMin ageMax count } } }`,
    { area: areaInput(area), asOf },
  ).then((d) => d.displacement);
}

export interface CellFigures {
  cell: string;
  center: { lat: number; lon: number };
  boundary: { lat: number; lon: number }[];
  figures: Figures;
}

/** `displacementByCell`: the hexagon map at a resolution. */
export function displacementByCell(
  area: Area,
  resolution: number,
  asOf: string | null,
): Promise<{ resolution: number; cells: CellFigures[] }> {
  return gql<{ displacementByCell: { resolution: number; cells: CellFigures[] } }>(
    `query DisplacementByCell($area: AreaInput, $resolution: Int!, $asOf: NaiveDate) {
      displacementByCell(area: $area, resolution: $resolution, asOf: $asOf) {
        resolution cells { cell center { lat lon } boundary { lat lon } figures { ${FIGURES} } } } }`,
    { area: areaInput(area), resolution, asOf },
  ).then((d) => d.displacementByCell);
}

export interface AdminFigures {
  pcode: string | null;
  figures: Figures;
}

/** `displacementByAdmin`: figures per admin area at a level. */
export function displacementByAdmin(area: Area, level: number, asOf: string | null): Promise<AdminFigures[]> {
  return gql<{ displacementByAdmin: AdminFigures[] }>(
    `query DisplacementByAdmin($area: AreaInput, $level: Int!, $asOf: NaiveDate) {
      displacementByAdmin(area: $area, level: $level, asOf: $asOf) { pcode figures { ${FIGURES} } } }`,
    { area: areaInput(area), level, asOf },
  ).then((d) => d.displacementByAdmin);
}

export type TrendInterval = "WEEK" | "MONTH" | "ROUND";

export interface TrendPoint {
  periodStart: string;
  periodEnd: string;
  roundNumber: number | null;
  figures: Figures;
}

/** `displacementTrend`: a series of figures. */
export function displacementTrend(area: Area, interval: TrendInterval, from: string, to: string): Promise<TrendPoint[]> {
  return gql<{ displacementTrend: TrendPoint[] }>(
    `query DisplacementTrend($area: AreaInput, $interval: TrendInterval!, $from: NaiveDate!, $to: NaiveDate!) {
      displacementTrend(area: $area, interval: $interval, from: $from, to: $to) {
        periodStart periodEnd roundNumber figures { ${FIGURES} } } }`,
    { area: areaInput(area), interval, from, to },
  ).then((d) => d.displacementTrend);
}

/** The first day of the earliest round, to start trends at. */
export function firstRoundStart(): Promise<string | null> {
  return gql<{ rounds: { nodes: { startsOn: string }[] } }>(`query Rounds { rounds(first: 500) { nodes { startsOn } } }`).then(
    (d) => d.rounds.nodes.map((r) => r.startsOn).sort()[0] ?? null,
  );
}

export interface Balance {
  warehouse: { id: string; code: string; name: string; isHub: boolean; organisation: { code: string }; location: { lat: number; lon: number } };
  item: { code: string; nameEn: string; unit: string };
  quantity: number;
  averageDailyDispatch: number;
  daysOfCover: number | null;
}

/** `stockBalances`: non-zero balances with days of cover, for warehouses carrying `adminPcode`. */
export async function stockBalances(adminPcode: string | null, asOf: string | null, coverWindowDays: number): Promise<Balance[]> {
  const out: Balance[] = [];
  let after: string | null = null;
  for (let page = 0; page < 10; page++) {
    const d: { stockBalances: { nodes: Balance[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } = await gql(
      `query StockBalances($filter: BalanceFilterInput, $asOf: NaiveDate, $window: Int!, $after: String) {
        stockBalances(filter: $filter, asOf: $asOf, coverWindowDays: $window, first: 500, after: $after) {
          nodes { warehouse { id code name isHub organisation { code } location { lat lon } } item { code nameEn unit }
                  quantity averageDailyDispatch daysOfCover }
          pageInfo { hasNextPage endCursor } } }`,
      {
        filter: { nonZero: true, warehouses: adminPcode ? { adminPcode } : null },
        asOf,
        window: coverWindowDays,
        after,
      },
    );
    out.push(...d.stockBalances.nodes);
    if (!d.stockBalances.pageInfo.hasNextPage) break;
    after = d.stockBalances.pageInfo.endCursor;
  }
  return out;
}
