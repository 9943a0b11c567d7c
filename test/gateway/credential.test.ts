import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { presentedCredential } from '../../src/gateway/proxy.js';
import { rng } from '../helpers/rng.js';

/** What the credential used to be read with. */
function reference(headers: Record<string, string | undefined>): string | undefined {
  const authorization = headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const apiKey = headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey.trim() : undefined;
}

describe('presentedCredential', () => {
  it('reads the bearer token (or x-api-key) exactly as the regular expression did', () => {
    const random = rng(3);
    const pieces = ['Bearer', 'bearer', 'BEARER', 'Basic', ' ', '  ', '\t', '\u00a0', '\u2028', '\ufeff', 'cg_abc', 'x', 'é', '🦀', '', 'Bearer ', 'key'];
    for (let i = 0; i < 20_000; i++) {
      let authorization = '';
      const n = Math.floor(random() * 6);
      for (let j = 0; j < n; j++) authorization += pieces[Math.floor(random() * pieces.length)];
      const headers = { authorization: random() < 0.9 ? authorization : undefined, 'x-api-key': random() < 0.3 ? ' k ' : undefined };
      expect(presentedCredential({ headers } as unknown as FastifyRequest)).toBe(reference(headers));
    }
    expect(presentedCredential({ headers: { authorization: 'Bearer \t cg_key \u00a0' } } as unknown as FastifyRequest)).toBe('cg_key');
  });
});
