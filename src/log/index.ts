/** The transparency log's pure core (style.md "log/"): hashing, tiles, signed-note checkpoints, proofs. */
export * from "./errors.js";
export * from "./hash.js";
export * from "./tile.js";
export * from "./proof.js";
export * from "./integrate.js";
export * from "./note.js";
export * from "./checkpoint.js";
export * from "./bundle.js";
export * from "./tlog-proof.js";
export * from "./witness.js";
