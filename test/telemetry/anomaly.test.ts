import { describe, expect, it } from 'vitest';
import { type Anomaly, AnomalyDetector } from '../../src/telemetry/anomaly.js';

/** Deterministic PRNG (mulberry32), so the synthetic traffic is the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MINUTE = 60_000;
const DAY = 1440 * MINUTE;
const START = Date.UTC(2026, 0, 5);

/** One principal's traffic for one minute, sent as a few requests inside the minute. */
function minute(detector: AnomalyDetector, principal: string, t: number, requests: number, tokensPerRequest: number, random: () => number): Anomaly[] {
  const found: Anomaly[] = [];
  for (let i = 0; i < requests; i++) {
    const at = t + Math.floor((i * MINUTE) / Math.max(1, requests));
    found.push(...detector.observe(principal, { requests: 1 }, at));
    found.push(...detector.observe(principal, { tokens: Math.round(tokensPerRequest * (0.7 + 0.6 * random())) }, at));
  }
  return found;
}

describe('anomaly detection on synthetic traffic', () => {
  it('three days of diurnal traffic with noise raise nothing', () => {
    const random = rng(7);
    const detector = new AnomalyDetector();
    const found: Anomaly[] = [];
    for (let m = 0; m < 3 * 1440; m++) {
      const t = START + m * MINUTE;
      // Day and night: from ~6 to ~60 requests a minute, peaking mid-afternoon, with Poisson-like noise.
      const phase = Math.sin(((m % 1440) / 1440) * 2 * Math.PI - Math.PI / 2);
      const mean = 33 + 27 * phase;
      const requests = Math.max(0, Math.round(mean + (random() - 0.5) * 2 * Math.sqrt(mean) * 1.5));
      found.push(...minute(detector, 'key_busy', t, requests, 800, random));
    }
    found.push(...detector.tick(START + 3 * DAY + MINUTE));
    expect(found).toEqual([]);
    expect(detector.baseline('key_busy', 'requests')!.buckets).toBeGreaterThan(3000);
  });

  it('a quiet key that suddenly sends 50x more tokens is flagged, in the minute it happens', () => {
    const random = rng(11);
    const detector = new AnomalyDetector();
    const found: Anomaly[] = [];
    let m = 0;
    for (; m < 6 * 60; m++) found.push(...minute(detector, 'key_quiet', START + m * MINUTE, 2 + Math.round(random()), 1000, random));
    expect(found).toEqual([]);
    // Same request rate, 50 times the tokens.
    found.push(...minute(detector, 'key_quiet', START + m * MINUTE, 3, 50_000, random));
    found.push(...detector.tick(START + (m + 1) * MINUTE));
    const tokens = found.filter((a) => a.metric === 'tokens');
    expect(tokens).toHaveLength(1);
    expect(tokens[0]).toMatchObject({ principal: 'key_quiet', bucketStart: START + m * MINUTE });
    expect(Number(tokens[0]!.value) / tokens[0]!.baseline!).toBeGreaterThan(20);
    expect(found.filter((a) => a.metric === 'requests')).toEqual([]);
  });

  it('a request flood from one key is flagged, other keys are not', () => {
    const random = rng(3);
    const detector = new AnomalyDetector();
    const found: Anomaly[] = [];
    for (let m = 0; m < 120; m++) {
      found.push(...minute(detector, 'key_a', START + m * MINUTE, 10 + Math.round(random() * 4), 500, random));
      found.push(...minute(detector, 'key_b', START + m * MINUTE, 10 + Math.round(random() * 4), 500, random));
    }
    expect(found).toEqual([]);
    found.push(...minute(detector, 'key_a', START + 120 * MINUTE, 400, 500, random));
    found.push(...minute(detector, 'key_b', START + 120 * MINUTE, 12, 500, random));
    found.push(...detector.tick(START + 121 * MINUTE));
    expect(found.map((a) => `${a.principal}:${a.metric}`).sort()).toEqual(['key_a:requests', 'key_a:tokens']);
  });

  it('a jump in the block rate is flagged once the principal has a baseline', () => {
    const detector = new AnomalyDetector({ warmupBuckets: 10 });
    const found: Anomaly[] = [];
    for (let m = 0; m < 30; m++) {
      const t = START + m * MINUTE;
      found.push(...detector.observe('key_c', { requests: 20, blocked: m % 5 === 0 ? 1 : 0 }, t));
    }
    found.push(...detector.observe('key_c', { requests: 20, blocked: 15 }, START + 30 * MINUTE));
    found.push(...detector.tick(START + 31 * MINUTE));
    expect(found.map((a) => a.metric)).toEqual(['blockRate']);
  });

  it('the first use of a high-risk tool is flagged once; ordinary tools are not', () => {
    const detector = new AnomalyDetector();
    const seen: Anomaly[] = [];
    const d2 = new AnomalyDetector({}, (a) => seen.push(a));
    const found = [
      ...detector.observe('key_d', { tool: 'web_search' }, START),
      ...detector.observe('key_d', { tool: 'read' }, START + 1),
      ...detector.observe('key_d', { tool: 'exec' }, START + 2),
      ...detector.observe('key_d', { tool: 'exec' }, START + 3),
      ...detector.observe('key_e', { tool: 'exec' }, START + 4),
      ...detector.observe('key_e', { tool: 'db_delete_rows' }, START + 5),
    ];
    expect(found.map((a) => `${a.principal}:${a.value}`)).toEqual(['key_d:exec', 'key_e:exec', 'key_e:db_delete_rows']);
    d2.observe('key_f', { tool: 'Bash' }, START);
    expect(seen).toHaveLength(1);
  });

  it('forgets the least recently seen principal beyond maxPrincipals, repeats of the newest included', () => {
    const detector = new AnomalyDetector({ maxPrincipals: 2 });
    for (const p of ['a', 'b', 'b', 'a', 'a', 'c']) detector.observe(p, { requests: 1 }, START);
    expect(['a', 'b', 'c'].map((p) => detector.baseline(p, 'requests') !== undefined)).toEqual([true, false, true]);
    for (const p of ['c', 'a', 'a', 'd']) detector.observe(p, { requests: 1 }, START);
    expect(['a', 'c', 'd'].map((p) => detector.baseline(p, 'requests') !== undefined)).toEqual([true, false, true]);
  });
});
