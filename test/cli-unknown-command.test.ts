/**
 * Command names are looked up among the commands, never among Object's members: `podpis
 * constructor` crashed (an exit code of the wrong type) and `podpis archive toString` was an
 * internal error ("cmd.run is not a function"); both are unknown commands (exit 64).
 */
import { describe, expect, it } from "vitest";
import { run } from "../src/cli/main.js";
import { capture } from "./helpers/cli-capture.js";

describe("unknown commands", () => {
  for (const argv of [["constructor"], ["__proto__"], ["hasOwnProperty"], ["archive", "toString"], ["archive", "constructor"], ["archive", "__proto__"]]) {
    it(`podpis ${argv.join(" ")}: usage error, exit 64`, async () => {
      const r = await capture((io) => run(argv, io));
      expect(r.code).toBe(64);
      expect(r.err).toMatch(/unknown (archive )?command/);
      expect(r.err).not.toMatch(/internal error/);
    });
  }
});
