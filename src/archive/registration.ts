/**
 * Registration numbers (the receipt's DocumentURI): a gap-free sequence per register, written
 * in a configurable format. Placeholders: {register}, {seq} or {seq:N} (zero-padded to N
 * digits), {yyyy}, {mm}, {dd} (of the receipt time, UTC).
 */
export const DEFAULT_REGISTER = "PDP";
export const DEFAULT_NUMBER_FORMAT = "{register}-{yyyy}-{seq:6}";

export function checkNumberFormat(format: string): void {
  if (!/\{seq(:\d{1,2})?\}/.test(format)) throw new Error(`registration number format must contain {seq}: "${format}"`);
  const unknown = format.match(/\{(?!register\}|seq(?::\d{1,2})?\}|yyyy\}|mm\}|dd\})[^}]*\}/);
  if (unknown) throw new Error(`unknown placeholder ${unknown[0]} in registration number format`);
}

export function formatRegistrationNumber(format: string, register: string, sequence: number, at: Date): string {
  const iso = at.toISOString();
  return format
    .replace(/\{register\}/g, register)
    .replace(/\{yyyy\}/g, iso.slice(0, 4))
    .replace(/\{mm\}/g, iso.slice(5, 7))
    .replace(/\{dd\}/g, iso.slice(8, 10))
    .replace(/\{seq(?::(\d{1,2}))?\}/g, (_m, w?: string) => String(sequence).padStart(w ? Number(w) : 0, "0"));
}
