/** Where an element is, as a path a person can read (what a reference covers, in reports). */

import type { XmlElement } from "./nodes.js";

/**
 * Position of an element among same-named siblings. A parent with many children has them
 * counted once (elementPath for many references stays linear), kept on the parent rather than
 * in a WeakMap: young WeakMap keys keep every parsed tree alive through scavenges.
 */
function positionOf(e: XmlElement, parent: XmlElement): number {
  const kids = parent.children;
  if (kids.length <= 64) {
    let i = 0;
    for (const c of kids) {
      if (c.type === 1 && c.qn === e.qn) {
        i++;
        if (c === e) return i;
      }
    }
    return 1;
  }
  let m = parent.positions;
  if (!m) {
    m = new Map();
    const counts = new Map<string, number>();
    for (const c of kids) {
      if (c.type !== 1) continue;
      const i = (counts.get(c.qn) ?? 0) + 1;
      counts.set(c.qn, i);
      m.set(c, i);
    }
    parent.positions = m;
  }
  return m.get(e) ?? 1;
}

/** An XPath-like path of an element: `/Заявление/Данни[1]` (position among same-named siblings). */
export function elementPath(el: XmlElement): string {
  let path = "";
  for (let e: XmlElement | null = el; e; e = e.parent) {
    path = e.parent ? `/${e.name}[${positionOf(e, e.parent)}]${path}` : `/${e.name}${path}`;
  }
  return path;
}
