/** Receipts: the document (document.ts), its seal (seal.ts) and the check (check.ts). */
export * from "./document.js";
export * from "./check.js";
export * from "./seal.js";
