// The area and date the dashboard looks at, and how they become GraphQL `AreaInput`s.

/** A longitude/latitude box. */
export interface Bbox {
  west: number;
  south: number;
  east: number;
  north: number;
}

/** The chosen area: every site the caller may see, an admin area, or a drawn box. */
export type Area =
  | { kind: "all" }
  | { kind: "admin"; pcode: string; name: string; level: number }
  | { kind: "bbox"; bbox: Bbox };

/** The `AreaInput` for an area (`null` for all of the caller's sites). */
export function areaInput(area: Area): Record<string, unknown> | null {
  switch (area.kind) {
    case "all":
      return null;
    case "admin":
      return { adminPcode: area.pcode };
    case "bbox":
      return { bbox: { ...area.bbox } };
  }
}

/** A short human label. */
export function areaLabel(area: Area): string {
  switch (area.kind) {
    case "all":
      return "All sites you may see";
    case "admin":
      return `${area.name} (${area.pcode})`;
    case "bbox": {
      const b = area.bbox;
      const f = (v: number) => v.toFixed(3);
      return `Box ${f(b.west)}, ${f(b.south)} to ${f(b.east)}, ${f(b.north)}`;
    }
  }
}

/** Query-string parameters naming the area, for export links (`area.` and the GraphQL input's field). */
export function areaParams(area: Area): Record<string, string> {
  switch (area.kind) {
    case "all":
      return {};
    case "admin":
      return { "area.adminPcode": area.pcode };
    case "bbox": {
      const b = area.bbox;
      return { "area.bbox": [b.west, b.south, b.east, b.north].map((v) => v.toFixed(6)).join(",") };
    }
  }
}
