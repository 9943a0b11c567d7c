export * from './spans.js';
export * from './operators.js';
export * from './pseudonymize.js';
export * from './vault.js';
export * from './vault-sqlite.js';
