// CSV/HXL exports (issue 7, branch `exports`): `GET /export/{dataset}.csv` with the token in
// the Authorization header and the GraphQL filters as query parameters (`area.adminPcode`,
// `area.bbox=w,s,e,n`, `asOf`, `resolution`, `level`, `coverWindowDays`, `nonZero`). Links
// never carry the token: a click fetches with the header and saves the answer. A 404 means
// this server has no such export (yet).

import { token } from "./client";
import type { Area } from "./area";
import { areaParams } from "./area";

/** The datasets the panels link to. */
export const DATASETS = {
  displacementByCell: "displacement-by-cell",
  displacementByAdmin: "displacement-by-admin",
  /** Not among the exports branch's datasets: the button says "not available". */
  displacementTrend: "displacement-trend",
  sites: "sites",
  balances: "stock-balances",
} as const;

/** The export URL for `dataset` restricted to what the panel shows. */
export function exportUrl(dataset: string, area: Area, extra: Record<string, string | number | null> = {}): string {
  const params = new URLSearchParams(areaParams(area));
  for (const [k, v] of Object.entries(extra)) if (v != null && v !== "") params.set(k, String(v));
  const q = params.toString();
  return `/export/${encodeURIComponent(dataset)}.csv${q ? `?${q}` : ""}`;
}

/** Outcome of an export download. */
export type ExportResult = { ok: true } | { ok: false; message: string };

/** Fetches `url` with the caller's token and hands the CSV to the browser as a file. */
export async function download(url: string, filename: string): Promise<ExportResult> {
  const bearer = token.get();
  let res: Response;
  try {
    res = await fetch(url, { headers: bearer ? { Authorization: `Bearer ${bearer}` } : {} });
  } catch {
    return { ok: false, message: "The server cannot be reached." };
  }
  if (res.status === 404 || res.status === 405) return { ok: false, message: "Export not available on this server." };
  if (!res.ok) return { ok: false, message: `Export failed (${res.status}).` };
  const blob = await res.blob();
  const href = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = href;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
  return { ok: true };
}
