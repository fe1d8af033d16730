/** The entry point of a `podpis serve` cluster worker (see server.ts). */
import { runWorker } from "./server.js";

await runWorker();
