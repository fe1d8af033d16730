/** The few DOM helpers the pages share. */
export function $<T extends HTMLElement = HTMLElement>(sel: string, root: ParentNode = document): T {
  const el = root.querySelector<T>(sel);
  if (!el) throw new Error(`missing element ${sel}`);
  return el;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...kids: Array<Node | string | null | undefined>): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const k of kids) if (k !== null && k !== undefined) e.append(k);
  return e;
}

export const readFile = async (input: HTMLInputElement): Promise<{ name: string; bytes: Uint8Array; type: string } | null> => {
  const f = input.files?.[0];
  return f ? { name: f.name, bytes: new Uint8Array(await f.arrayBuffer()), type: f.type } : null;
};

export function b64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function unb64(text: string): Uint8Array {
  const s = atob(text.replace(/\s+/g, ""));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

export const blobOf = (b: Uint8Array, type: string): Blob => new Blob([b.slice().buffer as ArrayBuffer], { type });

/** A status line: its text replaced, announced by screen readers (role=status on the element). */
export function say(target: HTMLElement, text: string, kind: "info" | "error" = "info"): void {
  target.textContent = text;
  target.dataset.kind = kind;
  target.hidden = text === "";
}
