import { createHash } from 'node:crypto';
import { sha256Base64 } from './hash.js';
import type { Finding } from './finding.js';
import type { Segment } from './segment.js';

/** One content's cached guard results, by guard slot (`ScanCache.slotOf`); undefined where not scanned yet. */
export type CachedResults = (Finding[] | undefined)[];

/** Texts from this length on are hashed in two parts rather than joined to their provenance first. */
const LONG_TEXT = 1024;

interface CacheRecord {
  readonly results: CachedResults;
  /** Looked up since it last moved to the recent end (see `recordOf`). */
  used: boolean;
}

/**
 * Guard results by (guard fingerprint, segment provenance, content hash), least recently used out.
 * Agents re-send the whole conversation every turn; with this cache a turn costs the scan of what is new.
 * Findings are stored relative to the segment and re-targeted to the segment id of the new payload.
 *
 * One record per content holds every guard's results: a scan looks a segment up once, not once per
 * guard (a key string per guard and segment was most of a cached scan's cost). `maxEntries` bounds
 * the guard results held, as before; whole records leave, least recently used first.
 */
export class ScanCache {
  private readonly records = new Map<string, CacheRecord>();
  /**
   * A small number per guard fingerprint: a fingerprint is its guard's config as JSON (hundreds of
   * characters), so records index results by these instead.
   */
  private readonly slots = new Map<string, number>();
  private results = 0;
  hits = 0;
  misses = 0;

  constructor(readonly maxEntries: number) {}

  static contentKey(segment: Segment): string {
    const provenance = `${segment.direction}\0${segment.role}\0${segment.kind}\0${segment.toolName ?? ''}\0${segment.trusted ? 1 : 0}\0${segment.origin ?? ''}\0`;
    // The same digest as of the joined string; a long text is hashed where it is, not copied into one
    // (a 48 KB system prompt was ~98 KB of garbage per request).
    if (segment.text.length < LONG_TEXT) return sha256Base64(provenance + segment.text);
    return createHash('sha256').update(provenance).update(segment.text).digest('base64');
  }

  slotOf(guardFingerprint: string): number {
    let slot = this.slots.get(guardFingerprint);
    if (slot === undefined) this.slots.set(guardFingerprint, (slot = this.slots.size));
    return slot;
  }

  /**
   * The record of a content; undefined when nothing of it is cached. A lookup only marks the record
   * used; eviction moves used records to the recent end instead of evicting them (second chance).
   * Moving it on every lookup put a new key string into the map each time, a map that lives in the
   * old generation: that was most of what a request left there.
   */
  recordOf(contentKey: string): CachedResults | undefined {
    if (this.maxEntries <= 0) return undefined;
    const record = this.records.get(contentKey);
    if (!record) return undefined;
    record.used = true;
    return record.results;
  }

  /** A guard's cached findings in a record, re-targeted to `segmentId`; counts the hit or miss. */
  take(record: CachedResults | undefined, slot: number, segmentId: string): Finding[] | undefined {
    const found = record?.[slot];
    if (!found) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return found.length === 0 ? found : found.map((f) => (f.segmentId === segmentId ? f : { ...f, segmentId }));
  }

  get(guardFingerprint: string, contentKey: string, segmentId: string): Finding[] | undefined {
    if (this.maxEntries <= 0) return undefined;
    return this.take(this.recordOf(contentKey), this.slotOf(guardFingerprint), segmentId);
  }

  set(guardFingerprint: string, contentKey: string, findings: Finding[]): void {
    if (this.maxEntries <= 0) return;
    let record = this.records.get(contentKey);
    if (!record) this.records.set(contentKey, (record = { results: [], used: false }));
    const slot = this.slotOf(guardFingerprint);
    if (record.results[slot] === undefined) this.results++;
    record.results[slot] = findings;
    // Used records, and the one being written, get a second chance: moved to the recent end with their
    // own key. The last record stays even when it alone holds more than the bound (more guards than
    // maxEntries).
    while (this.results > this.maxEntries && this.records.size > 1) {
      const [oldest, candidate] = this.records.entries().next().value!;
      this.records.delete(oldest);
      if (candidate === record || candidate.used) {
        candidate.used = false;
        this.records.set(oldest, candidate);
        continue;
      }
      for (const r of candidate.results) if (r !== undefined) this.results--;
    }
  }

  /** Guard results held. */
  get size(): number {
    return this.results;
  }
}
