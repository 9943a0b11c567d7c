import { createHash } from 'node:crypto';
import type { Finding } from './finding.js';
import type { Segment } from './segment.js';

/**
 * Guard results by (guard fingerprint, segment provenance, content hash), least recently used out.
 * Agents re-send the whole conversation every turn; with this cache a turn costs the scan of what is new.
 * Findings are stored relative to the segment and re-targeted to the segment id of the new payload.
 */
export class ScanCache {
  private readonly entries = new Map<string, Finding[]>();
  hits = 0;
  misses = 0;

  constructor(readonly maxEntries: number) {}

  static contentKey(segment: Segment): string {
    const h = createHash('sha256');
    h.update(`${segment.direction}\0${segment.role}\0${segment.kind}\0${segment.toolName ?? ''}\0${segment.trusted ? 1 : 0}\0`);
    h.update(segment.text);
    return h.digest('base64');
  }

  get(guardFingerprint: string, contentKey: string, segmentId: string): Finding[] | undefined {
    if (this.maxEntries <= 0) return undefined;
    const key = `${guardFingerprint}\0${contentKey}`;
    const found = this.entries.get(key);
    if (!found) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(key);
    this.entries.set(key, found);
    return found.length === 0 ? found : found.map((f) => (f.segmentId === segmentId ? f : { ...f, segmentId }));
  }

  set(guardFingerprint: string, contentKey: string, findings: Finding[]): void {
    if (this.maxEntries <= 0) return;
    const key = `${guardFingerprint}\0${contentKey}`;
    this.entries.delete(key);
    this.entries.set(key, findings);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
