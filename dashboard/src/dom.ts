// A tiny DOM builder: no framework, no innerHTML with data.

type Attrs = Record<string, string | number | boolean | null | undefined | ((ev: Event) => void)>;
type Child = Node | string | number | null | undefined | false;

/** Creates an HTML element with attributes (`on*` functions become listeners) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** Creates an SVG element. */
export function s(tag: string, attrs: Attrs = {}, ...children: Child[]): SVGElement {
  const el = document.createElementNS(SVG_NS, tag) as SVGElement;
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el: Element, attrs: Attrs): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === "function") el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (v === true) el.setAttribute(k, "");
    else if (v !== false && v != null) el.setAttribute(k, String(v));
  }
}

function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

/** Formats a count, or an em dash when withheld. */
export function num(v: number | null | undefined): string {
  return v == null ? "—" : v.toLocaleString("en-GB");
}

/** A panel's "not available" / error / empty message. */
export function note(text: string, kind: "unavailable" | "error" | "empty" = "empty"): HTMLElement {
  return h("p", { class: `note note-${kind}`, role: kind === "error" ? "alert" : null }, text);
}

/** A button that downloads an export of what a panel shows. */
export function exportButton(label: string, onClick: () => void): HTMLButtonElement {
  return h("button", { type: "button", class: "export", onclick: onClick }, label);
}
