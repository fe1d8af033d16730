/**
 * Issue 15, the worker → primary channel of a SQLite node (archive/writer-ipc.ts): material the
 * primary was sent before is named by its hash, not sent again, and the primary gives the
 * archive the same bytes; the primary's copy stays bounded, and after a failed send everything
 * is sent again.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Material, NewSubmission } from "../src/archive/port.js";
import { MATERIAL_KEPT, materialReceiver, materialSender } from "../src/archive/writer-ipc.js";

const item = (kind: Material["kind"], text: string): Material => {
  const bytes = Buffer.from(text);
  return { kind, sha256: createHash("sha256").update(bytes).digest("hex"), bytes };
};

const submission = (material: Material[]): NewSubmission => ({
  id: "00000000-0000-4000-8000-000000000000", register: "r", receivedAt: new Date(0), validationTime: new Date(0), applicant: "a", service: "s",
  accepted: true, policyVersion: "p", document: Buffer.from("doc"), contents: [], reportJson: "{}", indication: "TOTAL_PASSED", material,
});

const carried = (w: { material: Array<{ bytes?: Uint8Array }> }) => w.material.filter((m) => m.bytes !== undefined).length;

describe("material over the writer's channel", () => {
  const anchors = item("anchors", "anchors");
  const policy = item("policy", "policy");

  it("sends an item's bytes once; the primary restores them for every later submission", () => {
    const send = materialSender();
    const receive = materialReceiver();
    const first = send.wire(submission([anchors, policy]));
    expect(carried(first)).toBe(2);
    const crl = item("crl", "crl 1");
    const second = send.wire(submission([anchors, policy, crl]));
    expect(carried(second)).toBe(1);
    expect(second.material.map((m) => m.sha256)).toEqual([anchors.sha256, policy.sha256, crl.sha256]);
    expect(receive(structuredClone(first)).material.map((m) => m.sha256)).toEqual([anchors.sha256, policy.sha256]);
    const restored = receive(structuredClone(second)).material;
    expect(restored.map((m) => [m.kind, m.sha256, Buffer.from(m.bytes).toString()])).toEqual([
      ["anchors", anchors.sha256, "anchors"],
      ["policy", policy.sha256, "policy"],
      ["crl", crl.sha256, "crl 1"],
    ]);
  });

  it("forgets the oldest past MATERIAL_KEPT on both sides: a forgotten item is sent again, never named", () => {
    const send = materialSender();
    const receive = materialReceiver();
    receive(send.wire(submission([anchors])));
    // as many new CRLs as the primary keeps: the anchors are the oldest and go
    for (let i = 0; i < MATERIAL_KEPT; i++) receive(send.wire(submission([item("crl", `crl ${i}`)])));
    const again = send.wire(submission([anchors]));
    expect(carried(again)).toBe(1);
    expect(receive(again).material[0]!.bytes).toEqual(anchors.bytes);
    // the primary did forget it: naming it without bytes is refused, not answered with nothing
    const fresh = materialReceiver();
    expect(() => fresh({ ...again, material: [{ kind: "anchors", sha256: anchors.sha256 }] })).toThrow(/had not sent/);
  });

  it("after a failed send, sends everything again and tells the primary to forget what it kept", () => {
    const send = materialSender();
    const receive = materialReceiver();
    receive(send.wire(submission([anchors, policy])));
    send.unsure();
    const after = send.wire(submission([anchors, policy]));
    expect(carried(after)).toBe(2);
    expect(after.forgetAll).toBe(true);
    expect(receive(after).material).toEqual([anchors, policy]);
    expect(carried(send.wire(submission([anchors, policy])))).toBe(0);
  });
});
