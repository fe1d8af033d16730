/**
 * A CLI command run in-process with its stdout and stderr captured: what the command tests read
 * (exit code, the text on each stream) without spawning a process.
 */
export interface CommandOutput {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export interface Captured {
  code: number;
  out: string;
  err: string;
}

export async function capture(command: (io: CommandOutput) => Promise<number>): Promise<Captured> {
  let out = "";
  let err = "";
  const code = await command({ stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}
