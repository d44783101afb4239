// What `#node/*` (package.json "imports") resolves to where the "node" condition does not hold:
// a bundle for a browser gets this marker instead of a Node-only module, and nodeOnly() in
// src/runtime/platform.ts turns it into "<what> needs Node". Tests: test/bundlers/.

export const NODE_ONLY = true;
