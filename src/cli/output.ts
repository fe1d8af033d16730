/** Where commands write: injectable so tests can run the CLI in-process. */
export interface Output {
  stdout(text: string): void;
  stderr(text: string): void;
}

export const stdio: Output = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
};

export const EXIT_FAILED = 2;
export const EXIT_USAGE = 64;

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + "\n";
}
