/** Calls to this service's HTTP API (same origin); a problem+json answer becomes an ApiError. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}

export async function call(path: string, init: RequestInit = {}): Promise<Response> {
  let r: Response;
  try {
    r = await fetch(path, { credentials: "omit", cache: "no-store", ...init });
  } catch {
    throw new ApiError(0, "NETWORK", "");
  }
  if (!r.ok) {
    let code = "HTTP_" + r.status;
    let detail = r.statusText;
    try {
      const p = (await r.json()) as { code?: string; detail?: string };
      code = p.code ?? code;
      detail = p.detail ?? detail;
    } catch {
      /* not problem+json */
    }
    throw new ApiError(r.status, code, detail);
  }
  return r;
}

export const callJson = async <T>(path: string, init: RequestInit = {}): Promise<T> => (await (await call(path, init)).json()) as T;

/** A multipart body from named parts (Uint8Array parts become files). */
export function form(parts: Array<[string, Uint8Array | string, string?]>): FormData {
  const f = new FormData();
  for (const [name, v, filename] of parts) {
    if (typeof v === "string") f.append(name, v);
    else f.append(name, new Blob([v.slice().buffer as ArrayBuffer], { type: "application/octet-stream" }), filename ?? name);
  }
  return f;
}
