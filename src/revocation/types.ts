// The revocation port is defined where it is called (pki/revocation-port.ts); revocation/
// implements it and keeps these names for its own modules.
export * from "../pki/revocation-port.js";
