// The CRL layer's error lives in errors.ts with the layer's other one; this name stays for its importers.
export { CrlError } from "./errors.js";
