/** Passwords and PINs: from a named environment variable, or typed at a terminal — never argv. */
import { SecretError } from "./errors.js";

export async function readSecret(opts: { envVar?: string; fallbackEnv?: string; prompt: string; env?: NodeJS.ProcessEnv }): Promise<string> {
  const env = opts.env ?? process.env;
  if (opts.envVar !== undefined) {
    const v = env[opts.envVar];
    if (v === undefined) throw new SecretError("SECRET_ENV_UNSET", `environment variable ${opts.envVar} (from --password-env) is not set`);
    return v;
  }
  if (opts.fallbackEnv && env[opts.fallbackEnv] !== undefined) return env[opts.fallbackEnv]!;
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new SecretError("SECRET_UNAVAILABLE", `no password: give --password-env VAR${opts.fallbackEnv ? ` or set ${opts.fallbackEnv}` : ""} (a prompt needs a terminal)`);
  }
  return promptHidden(opts.prompt);
}

function promptHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    let value = "";
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding("utf8");
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener("data", onData);
      process.stderr.write("\n");
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n") return done();
        if (ch === "\u0003") return done(new SecretError("SECRET_CANCELLED", "cancelled"));
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on("data", onData);
  });
}
