/**
 * `podpis archive SUBCOMMAND …`: work on the service's archive. A dispatcher only; each
 * subcommand lives in its own file (renew: archive-renew.ts; backup/restore belong here too).
 */
import { UsageError } from "./args.js";
import { archiveRenewCommand } from "./archive-renew.js";
import type { Output } from "./output.js";

type Sub = (argv: string[], out: Output) => Promise<number>;

const SUBCOMMANDS: Record<string, Sub> = {
  renew: archiveRenewCommand,
};

export const ARCHIVE_HELP = `use: podpis archive ${Object.keys(SUBCOMMANDS).join("|")} … (podpis archive renew --help)`;

export async function archiveCommand(argv: string[], out: Output): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === "--help" || sub === "-h" || sub === "help") {
    out.stdout(ARCHIVE_HELP + "\n");
    return sub ? 0 : 64;
  }
  const cmd = SUBCOMMANDS[sub];
  if (!cmd) throw new UsageError(`unknown archive command "${sub}" (${ARCHIVE_HELP})`);
  return cmd(rest, out);
}
