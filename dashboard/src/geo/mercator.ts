// Web Mercator in "world pixels": at zoom z the world is 256 * 2^z pixels square.

const MAX_LAT = 85.05112878;

/** A view: the centre in world pixels at zoom 0, and a fractional zoom. */
export interface View {
  cx: number;
  cy: number;
  zoom: number;
}

/** Longitude/latitude to world pixels at zoom 0. */
export function project(lon: number, lat: number): [number, number] {
  const la = Math.max(-MAX_LAT, Math.min(MAX_LAT, lat));
  const s = Math.sin((la * Math.PI) / 180);
  const x = ((lon + 180) / 360) * 256;
  const y = (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * 256;
  return [x, y];
}

/** World pixels at zoom 0 to longitude/latitude. */
export function unproject(x: number, y: number): [number, number] {
  const lon = (x / 256) * 360 - 180;
  const n = Math.PI - (2 * Math.PI * y) / 256;
  const lat = (180 / Math.PI) * Math.atan(Math.sinh(n));
  return [lon, lat];
}

/** Screen position of a longitude/latitude in a `width` x `height` viewport. */
export function toScreen(v: View, width: number, height: number, lon: number, lat: number): [number, number] {
  const [x, y] = project(lon, lat);
  const k = 2 ** v.zoom;
  return [(x - v.cx) * k + width / 2, (y - v.cy) * k + height / 2];
}

/** Longitude/latitude under a screen position. */
export function fromScreen(v: View, width: number, height: number, sx: number, sy: number): [number, number] {
  const k = 2 ** v.zoom;
  return unproject(v.cx + (sx - width / 2) / k, v.cy + (sy - height / 2) / k);
}

/** The view that fits a box in the viewport (with a margin). */
export function fit(west: number, south: number, east: number, north: number, width: number, height: number): View {
  const [x0, y0] = project(west, north);
  const [x1, y1] = project(east, south);
  const w = Math.max(x1 - x0, 1e-6);
  const h = Math.max(y1 - y0, 1e-6);
  const zoom = Math.min(Math.log2((width * 0.9) / w), Math.log2((height * 0.9) / h), 14);
  return { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, zoom: Math.max(1, zoom) };
}

// Average H3 hexagon edge length per resolution, in kilometres.
const EDGE_KM = [1281.256, 483.057, 182.513, 68.979, 26.072, 9.854, 3.725, 1.406, 0.531, 0.201, 0.076, 0.029];

/** The finest H3 resolution whose hexagons are still at least `minPixels` wide at this zoom
 *  and latitude (between 2 and 10). */
export function resolutionFor(zoom: number, lat: number, minPixels = 14): number {
  const metresPerPixel = (156_543.034 * Math.cos((lat * Math.PI) / 180)) / 2 ** zoom;
  let res = 2;
  for (let r = 2; r <= 10; r++) {
    if ((2 * EDGE_KM[r]! * 1000) / metresPerPixel >= minPixels) res = r;
  }
  return res;
}
