import { sha256Base64 } from './hash.js';
import type { Finding } from './finding.js';
import type { Segment } from './segment.js';

/**
 * Guard results by (guard fingerprint, segment provenance, content hash), least recently used out.
 * Agents re-send the whole conversation every turn; with this cache a turn costs the scan of what is new.
 * Findings are stored relative to the segment and re-targeted to the segment id of the new payload.
 */
export class ScanCache {
  private readonly entries = new Map<string, Finding[]>();
  /**
   * A short number per guard fingerprint for the entry keys: a fingerprint is its guard's config as JSON
   * (hundreds of characters), and a key built from it was copied and hashed on every lookup.
   */
  private readonly fingerprintIds = new Map<string, number>();
  hits = 0;
  misses = 0;

  constructor(readonly maxEntries: number) {}

  static contentKey(segment: Segment): string {
    return sha256Base64(`${segment.direction}\0${segment.role}\0${segment.kind}\0${segment.toolName ?? ''}\0${segment.trusted ? 1 : 0}\0${segment.text}`);
  }

  private key(guardFingerprint: string, contentKey: string): string {
    let id = this.fingerprintIds.get(guardFingerprint);
    if (id === undefined) this.fingerprintIds.set(guardFingerprint, (id = this.fingerprintIds.size));
    return `${id}\0${contentKey}`;
  }

  get(guardFingerprint: string, contentKey: string, segmentId: string): Finding[] | undefined {
    if (this.maxEntries <= 0) return undefined;
    const key = this.key(guardFingerprint, contentKey);
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
    const key = this.key(guardFingerprint, contentKey);
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
