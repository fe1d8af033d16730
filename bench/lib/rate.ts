/**
 * The one timing loop the benches share: warm up, then run `f` in chunks for `ms` milliseconds
 * (each call awaited, so sync and async work are measured alike) and print operations per second
 * and microseconds per operation on one line.
 */
export interface RateOptions {
  /** calls before timing starts (default 200) */
  warmup?: number;
  /** calls between clock reads (default 50) */
  chunk?: number;
  /** operations one call performs (default 1) */
  batch?: number;
  /** width of the label column (default 58) */
  width?: number;
}

export async function rate(name: string, ms: number, f: () => unknown, opts: RateOptions = {}): Promise<number> {
  const { warmup = 200, chunk = 50, batch = 1, width = 58 } = opts;
  for (let i = 0; i < warmup; i++) await f();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < chunk; i++) await f();
    n += chunk * batch;
    t = performance.now();
  }
  const r = (n * 1000) / (t - t0);
  console.log(`${name.padEnd(width)} ${r.toFixed(0).padStart(8)} /s  ${(((t - t0) / n) * 1000).toFixed(1).padStart(8)} µs`);
  return r;
}
