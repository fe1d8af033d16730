/** `podpis keys` and `podpis audit` usage: help that names what the commands accept, clear refusals. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { auditCommand } from "../src/cli/audit.js";
import { UsageError } from "../src/cli/args.js";
import { keysCommand } from "../src/cli/keys.js";

const data = mkdtempSync(join(tmpdir(), "podpis-keys-cli-"));
afterAll(() => rmSync(data, { recursive: true, force: true }));

async function run(cmd: typeof keysCommand, args: string[]): Promise<{ code: number | string; out: string; err: string }> {
  let out = "";
  let err = "";
  try {
    const code = await cmd(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
    return { code, out, err };
  } catch (e) {
    if (e instanceof UsageError) return { code: "usage", out, err: e.message };
    throw e;
  }
}

describe("keys and audit usage", () => {
  it("--help names every subcommand and flag, on stdout, exit 0", async () => {
    const k = await run(keysCommand, ["--help"]);
    expect(k.code).toBe(0);
    for (const w of ["create", "list", "revoke", "rotate", "--name", "--scope", "--grace", "--data", "--database-url", "--json"]) expect(k.out).toContain(w);
    const a = await run(auditCommand, ["verify", "--help"]);
    expect(a.code).toBe(0);
    for (const w of ["--data", "--database-url", "--expect-head", "--json"]) expect(a.out).toContain(w);
  });

  it("refuses a bad grace, an unknown key and flags of another subcommand", async () => {
    expect((await run(keysCommand, ["create", "--name", "a", "--scope", "verify", "--data", data])).code).toBe(0);
    expect(await run(keysCommand, ["rotate", "--name", "a", "--grace", "soon", "--data", data])).toMatchObject({ code: "usage", err: expect.stringContaining("--grace") });
    expect(await run(keysCommand, ["rotate", "--name", "nobody", "--data", data])).toMatchObject({ code: 2, err: expect.stringContaining("nobody") });
    expect((await run(keysCommand, ["list", "--grace", "1h", "--data", data])).code).toBe("usage");
    expect((await run(keysCommand, ["revoke", "--data", data])).code).toBe("usage");
    const rotated = await run(keysCommand, ["rotate", "--name", "a", "--grace", "0", "--data", data]);
    expect(rotated.code).toBe(0);
    expect(rotated.out).toMatch(/^pdp_[0-9a-f]{16}_/m);
  });
});
