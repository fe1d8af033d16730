/** Issue 15: submission ids are UUIDv7 (RFC 9562 §5.7): the receipt time's ms first, 74 random bits, version 7, variant 0b10. */
import { describe, expect, it } from "vitest";
import { submissionId } from "../src/archive/submission-id.js";

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("submission ids", () => {
  it("are UUIDv7 carrying the time in ms, sort by it, and differ at the same ms", () => {
    const at = new Date("2026-06-01T00:00:00.123Z");
    const ids = Array.from({ length: 2000 }, () => submissionId(at));
    for (const id of ids) expect(id).toMatch(V7);
    expect(parseInt(ids[0]!.replace(/-/g, "").slice(0, 12), 16)).toBe(at.getTime());
    expect(new Set(ids).size).toBe(ids.length);
    const later = submissionId(new Date(at.getTime() + 1));
    expect(ids.every((id) => id < later)).toBe(true);
    // every random digit position takes more than one value (none is fixed by mistake)
    const hex = ids.map((id) => id.replace(/-/g, ""));
    for (const i of [13, 14, 15, 17, 18, 19, 20, 31]) expect(new Set(hex.map((h) => h[i])).size).toBeGreaterThan(1);
    expect(new Set(hex.map((h) => h[16])).size).toBe(4); // 8, 9, a, b
  });
});
