import type { Candidate } from './structured.js';

/** Person names, locations and street addresses. */
export function findNames(_text: string): Candidate[] {
  return [];
}
