// Runs the CLI from the TypeScript sources in a real process (tests spawn it with tsx), so exit
// codes and stderr are what a user sees without needing a build first.
import { run } from "../../src/cli/main.js";

process.exitCode = await run(process.argv.slice(2));
