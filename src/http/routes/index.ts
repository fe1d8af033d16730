/** Every router of the service, in dispatch order; the app and the OpenAPI document both read this list. */
import { auditLogRouter } from "./audit-log.js";
import { auditRouter } from "./audit.js";
import { logRouter } from "./log.js";
import { operationsRouter } from "./operations.js";
import { pagesRouter } from "./pages.js";
import { publicRouter } from "./public.js";
import { receiptsRouter } from "./receipts.js";
import type { Router } from "./route.js";
import { signingRouter } from "./signing.js";
import { evidenceRouter, submissionsRouter } from "./submissions.js";
import { verifyRouter } from "./verify.js";

export const ROUTERS: readonly Router[] = [verifyRouter, submissionsRouter, auditRouter, evidenceRouter, auditLogRouter, receiptsRouter, signingRouter, publicRouter, logRouter, operationsRouter, pagesRouter];
