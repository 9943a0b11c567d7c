/** SIEM forwarders: one module per collector under `./siem/`. */
export * from './siem/index.js';
