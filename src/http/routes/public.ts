/**
 * The citizen page's routes (issue 17): verify, two-step signing and submission without an API
 * key, rate-limited per client address and held to the public body cap and validation budget
 * (src/limits/budgets.ts). Each route is its keyed twin's work under another path.
 */
import type { Router } from "./route.js";
import { publicSigningRoutes } from "./signing.js";
import { publicSubmissionRoutes } from "./submissions.js";
import { publicVerifyRoute } from "./verify.js";

export const publicRouter: Router = {
  name: "public",
  scope: null,
  rateLimited: true,
  routes: [publicVerifyRoute, ...publicSigningRoutes, ...publicSubmissionRoutes],
};
