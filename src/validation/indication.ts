// Path validation (pki/) already reports EN 319 102-1 indications, so they are defined there.
export * from "../pki/indication.js";
