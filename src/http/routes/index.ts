/** Every router of the service, in dispatch order; the app and the OpenAPI document both read this list. */
import { auditRouter } from "./audit.js";
import { logRouter } from "./log.js";
import { operationsRouter } from "./operations.js";
import { receiptsRouter } from "./receipts.js";
import type { Router } from "./route.js";
import { signingRouter } from "./signing.js";
import { submissionsRouter } from "./submissions.js";
import { verifyRouter } from "./verify.js";

export const ROUTERS: readonly Router[] = [verifyRouter, submissionsRouter, auditRouter, receiptsRouter, signingRouter, logRouter, operationsRouter];
