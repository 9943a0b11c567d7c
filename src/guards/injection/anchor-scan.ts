/**
 * One pass over a normalized text that finds the candidate signatures (the shared trigger scan of
 * `candidateSignatures`) and which literals of the signatures' later anchor groups occur (what
 * `anchorsPresent` asks `includes` for, one literal at a time). The result is the same as those
 * two; only the work differs: a hash of the first three code units of every literal (the first
 * two for shorter literals) leads each position straight to the few literals that can start there.
 *
 * The trigger scan reproduces the regex alternation it replaces exactly: at every position the
 * literals are tried longest first (ties in their first-seen order) and the first that matches
 * wins; the next position is tried too, so a literal that starts inside another's match is found
 * (a scan that resumed after each match hid "you are now" behind an earlier, longer literal);
 * `=word` anchors match whole words only (`\b` on both sides, ASCII word characters); ASCII and
 * non-ASCII literals are two separate alternations.
 *
 * On long texts the scan also records every occurrence of every literal, and each signature runs
 * only in windows before the occurrences of one of its anchor groups (`firstSignatureMatch`): its
 * pattern's repetitions are bounded, so regex-bounds proves how long a match can be and how far
 * from its start the group's literal has ended. The first match is the one `exec` finds on the
 * whole text; on ~50 KB tool outputs the signatures cost ≈ 10 µs/KB instead of ≈ 85.
 */

import { literalReach, regexBounds } from '../../core/regex-bounds.js';
import { matchesInWindows, WINDOW_LOOKAROUND } from '../../core/windowed-scan.js';
import { CodeUnits } from '../../normalize/codeunits.js';
import { isWholeWord, literalOf, SIGNATURES, TRIGGERS } from './signatures.js';

interface Literal {
  readonly text: string;
  /** Trigger literals: `\b` on both sides. */
  readonly wholeWord: boolean;
  /** Trigger literals: 0 the ASCII alternation, 1 the non-ASCII one. */
  readonly alternation: number;
  /** Trigger literals: SIGNATURES indices a match makes candidates (those of every literal that is a prefix of this one). */
  readonly signatures: readonly number[];
}

/** Literals of 3+ code units are found through a hash of their first three; shorter ones through their first. */
const HASH_BITS = 14;

function hash3(c0: number, c1: number, c2: number): number {
  return Math.imul((c0 << 16) ^ (c1 << 8) ^ c2, 0x9e3779b1) >>> (32 - HASH_BITS);
}

/**
 * Literals of one or two code units are listed by the low seven bits of the first two units of a
 * position (a single unit under every second unit), so a two-unit literal such as `ai` is looked
 * at where its second unit follows, not at every `a`.
 */
const SHORT_BITS = 7;
const SHORT_MASK = (1 << SHORT_BITS) - 1;

function shortKey(c0: number, c1: number): number {
  return ((c0 & SHORT_MASK) << SHORT_BITS) | (c1 & SHORT_MASK);
}

function matchesAt(units: Uint16Array, length: number, p: number, id: number): boolean {
  const n = LIT_LENGTH[id]!;
  if (p + n > length) return false;
  const s = LIT_START[id]!;
  for (let k = 0; k < n; k++) if (units[p + k] !== LIT_UNITS[s + k]) return false;
  return true;
}

function isWordUnit(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

/** `\b` (non-Unicode) between `q - 1` and `q`. */
function wordBoundary(units: Uint16Array, length: number, q: number): boolean {
  const before = q > 0 && isWordUnit(units[q - 1]!);
  const after = q < length && isWordUnit(units[q]!);
  return before !== after;
}

const { literals, triggerCount, groups } = (() => {
  const literals: Literal[] = [];
  TRIGGERS.alternations.forEach((anchors, alternation) => {
    for (const anchor of anchors) {
      const key = literalOf(anchor);
      if (key.length === 0) throw new Error('empty anchor');
      literals.push({ text: key, wholeWord: isWholeWord(anchor), alternation, signatures: TRIGGERS.signaturesOf.get(key)! });
    }
  });
  const triggerCount = literals.length;
  // Literals of the later groups: plain substrings, after the triggers.
  const presentIds = new Map<string, number>();
  const groups = SIGNATURES.map((s) =>
    s.anchors.slice(1).map((group) =>
      group.map((anchor) => {
        const key = literalOf(anchor);
        let id = presentIds.get(key);
        if (id === undefined) {
          id = literals.length - triggerCount;
          presentIds.set(key, id);
          literals.push({ text: key, wholeWord: false, alternation: 0, signatures: [] });
        }
        return id;
      }),
    ),
  );
  return { literals, triggerCount, groups };
})();

// Flat tables. Lists hold literal ids in id order (so triggers come longest first, as the
// alternations try them, and before later-group literals); a list ends with -1. Literals whose
// keys collide share a list: `matchesAt` tells them apart.
const LIT_START = new Int32Array(literals.length);
const LIT_LENGTH = new Int32Array(literals.length);
const LIT_UNITS = new Uint16Array(literals.reduce((n, l) => n + l.text.length, 0));
const LIT_FLAGS = new Uint8Array(literals.length); // 1 whole word, 2 non-ASCII alternation
const LIT_SIGNATURES: (readonly number[])[] = literals.map((l) => l.signatures);
{
  let at = 0;
  literals.forEach((l, id) => {
    LIT_START[id] = at;
    LIT_LENGTH[id] = l.text.length;
    for (let k = 0; k < l.text.length; k++) LIT_UNITS[at++] = l.text.charCodeAt(k);
    LIT_FLAGS[id] = (l.wholeWord ? 1 : 0) | (l.alternation === 1 ? 2 : 0);
  });
}
const LONG_HEAD = new Int16Array(1 << HASH_BITS).fill(-1);
const SHORT_HEAD = new Int16Array(1 << (2 * SHORT_BITS)).fill(-1);
/**
 * 1 under the `shortKey` of the first two units of every literal (of every pair, for one-unit
 * literals): a position whose pair is 0 starts no literal. In English most positions (about 60%)
 * end here, before the hash of three units and its lookup in the larger table.
 */
const PAIR = new Uint8Array(1 << (2 * SHORT_BITS));
const LISTS: number[] = [];
{
  const long = new Map<number, number[]>();
  const short = new Map<number, number[]>();
  const add = (map: Map<number, number[]>, key: number, id: number): void => {
    let list = map.get(key);
    if (!list) map.set(key, (list = []));
    list.push(id);
  };
  literals.forEach((l, id) => {
    const t = l.text;
    if (t.length >= 2) PAIR[shortKey(t.charCodeAt(0), t.charCodeAt(1))] = 1;
    else for (let second = 0; second <= SHORT_MASK; second++) PAIR[shortKey(t.charCodeAt(0), second)] = 1;
    if (t.length >= 3) add(long, hash3(t.charCodeAt(0), t.charCodeAt(1), t.charCodeAt(2)), id);
    else if (t.length === 2) add(short, shortKey(t.charCodeAt(0), t.charCodeAt(1)), id);
    else for (let second = 0; second <= SHORT_MASK; second++) add(short, shortKey(t.charCodeAt(0), second), id);
  });
  for (const [key, list] of long) {
    LONG_HEAD[key] = LISTS.length;
    LISTS.push(...list, -1);
  }
  for (const [key, list] of short) {
    SHORT_HEAD[key] = LISTS.length;
    LISTS.push(...list, -1);
  }
}
if (LISTS.length > 0x7fff) throw new Error('anchor lists too long');
const LIST = Int32Array.from(LISTS);

// Where literals occur, for long texts: one id per distinct literal text (a text can be a trigger
// and a later-group literal too), recorded by the first literal with that text; -1 for the others.
const LIT_PLACE = new Int32Array(literals.length).fill(-1);
const PLACE_LENGTH: number[] = [];
const placeOf = new Map<string, number>();
literals.forEach((l, id) => {
  if (placeOf.has(l.text)) return;
  placeOf.set(l.text, PLACE_LENGTH.length);
  LIT_PLACE[id] = PLACE_LENGTH.length;
  PLACE_LENGTH.push(l.text.length);
});

/**
 * How a signature can run near its anchors: its longest match (regex-bounds) and, per anchor group
 * whose literal regex-bounds proves every match holds, how far from a match's start that literal
 * has ended (`literalReach`, exact case: the scan finds literals as written). Undefined when the
 * pattern proves no bound.
 */
interface WindowPlan {
  readonly maxLength: number;
  readonly groups: readonly { readonly reach: number; readonly places: readonly number[] }[];
}

const PLANS: readonly (WindowPlan | undefined)[] = SIGNATURES.map((signature) => {
  const { maxLength, lookaround } = regexBounds(signature.pattern);
  if (!Number.isFinite(maxLength) || lookaround > WINDOW_LOOKAROUND) return undefined;
  const groups: { reach: number; places: number[] }[] = [];
  for (const group of signature.anchors) {
    const texts = [...new Set(group.map(literalOf))];
    const reach = literalReach(signature.pattern, texts, true);
    if (reach !== undefined) groups.push({ reach, places: texts.map((t) => placeOf.get(t)!) });
  }
  return groups.length > 0 ? { maxLength, groups } : undefined;
});

/** Which signatures can run near their anchors (for tests and reports). */
export function windowable(index: number): boolean {
  return PLANS[index] !== undefined;
}

/**
 * Where each distinct literal occurs: per place a list of occurrences, newest first, in module
 * scratch arrays that every scan with places reuses (allocating them per text cost more than
 * windowing saved on 2 KB texts). A place's list is valid when `STAMP[place]` is the scan's
 * generation: `HEADS[2 * place]` is its newest entry + 1, `HEADS[2 * place + 1]` how many it has;
 * entry k is the position `ENTRIES[2 * k]` and the next entry + 1 `ENTRIES[2 * k + 1]` (0: none).
 * A scan's places are only read until the next scan with places (`signatureWindows` checks).
 */
interface Places {
  readonly generation: number;
}

const HEADS = new Int32Array(2 * PLACE_LENGTH.length);
const STAMP = new Int32Array(PLACE_LENGTH.length);
let ENTRIES = new Int32Array(2 * 1024);
let generation = 0;
let entryCount = 0;

function addPlace(place: number, p: number): void {
  if (STAMP[place] !== generation) {
    STAMP[place] = generation;
    HEADS[2 * place] = 0;
    HEADS[2 * place + 1] = 0;
  }
  if (2 * entryCount === ENTRIES.length) {
    const entries = new Int32Array(ENTRIES.length * 2);
    entries.set(ENTRIES);
    ENTRIES = entries;
  }
  const k = entryCount++;
  ENTRIES[2 * k] = p;
  ENTRIES[2 * k + 1] = HEADS[2 * place]!;
  HEADS[2 * place] = k + 1;
  HEADS[2 * place + 1]!++;
}

/** Occurrences of a place in the current scan. */
function placeCount(place: number): number {
  return STAMP[place] === generation ? HEADS[2 * place + 1]! : 0;
}

export interface AnchorScan {
  /** Candidate SIGNATURES indices, ascending: what `candidateSignatures` returns. */
  readonly candidates: number[];
  /** Per later-group literal: whether it occurs in the text. */
  readonly present: Uint8Array;
  /** Every occurrence of every anchor literal, when asked for (`signatureWindows`), until the next scan with places. */
  readonly places?: Places;
  readonly length: number;
}

const scratch = new CodeUnits();
/** Which signatures became candidates in the current scan (scratch: read before `scanAnchors` returns). */
const HIT = new Uint8Array(SIGNATURES.length);

/**
 * Texts from this length on record where their anchors are, so each signature runs only near them
 * (`firstSignatureMatch`); shorter ones are cheaper to scan whole.
 */
export const PLACES_FROM = 1024;

/**
 * `withPlaces`: also record where every anchor literal occurs (every occurrence, overlapping ones
 * too), so that `signatureWindows` can say where a signature's matches can start.
 */
export function scanAnchors(text: string, withPlaces = text.length >= PLACES_FROM): AnchorScan {
  const length = text.length;
  const units = scratch.load(text);
  const hit = HIT.fill(0);
  const found = new Uint8Array(literals.length - triggerCount);
  let places: Places | undefined;
  if (withPlaces) {
    // Generation 0 is the stamps' initial value: never a scan's.
    generation = generation === 0x7fffffff ? 1 : generation + 1;
    if (generation === 1) STAMP.fill(0);
    entryCount = 0;
    places = { generation };
  }
  // The next three code units, rolled along (0 past the end: only read where p + 3 <= length).
  let c1 = length > 0 ? units[0]! : 0;
  let c2 = length > 1 ? units[1]! : 0;
  for (let p = 0; p < length; p++) {
    const c0 = c1;
    c1 = c2;
    c2 = p + 2 < length ? units[p + 2]! : 0;
    // Longer literals first: every long literal outranks every short one in an alternation.
    const pair = shortKey(c0, c1);
    if (PAIR[pair] === 0) continue;
    const longAt = p + 3 <= length ? LONG_HEAD[hash3(c0, c1, c2)]! : -1;
    const shortAt = SHORT_HEAD[pair]!;
    if (longAt < 0 && shortAt < 0) continue;
    // Whether each alternation has matched at this position (its first match here wins, as in the regex).
    let done0 = false;
    let done1 = false;
    for (let pass = 0; pass < 2; pass++) {
      let at = pass === 0 ? longAt : shortAt;
      if (at < 0) continue;
      for (let id = LIST[at]!; id >= 0; id = LIST[++at]!) {
        const place = places ? LIT_PLACE[id]! : -1;
        if (id >= triggerCount) {
          const f = id - triggerCount;
          if ((found[f] === 0 || place >= 0) && matchesAt(units, length, p, id)) {
            found[f] = 1;
            if (place >= 0) addPlace(place, p);
          }
          continue;
        }
        const flags = LIT_FLAGS[id]!;
        const done = (flags & 2) === 0 ? done0 : done1;
        if (done && place < 0) continue;
        if (!matchesAt(units, length, p, id)) continue;
        if (place >= 0) addPlace(place, p);
        if (done) continue;
        const end = p + LIT_LENGTH[id]!;
        if ((flags & 1) !== 0 && !(wordBoundary(units, length, p) && wordBoundary(units, length, end))) continue;
        for (const i of LIT_SIGNATURES[id]!) hit[i] = 1;
        if ((flags & 2) === 0) done0 = true;
        else done1 = true;
      }
    }
  }
  const candidates: number[] = [];
  for (let i = 0; i < hit.length; i++) if (hit[i]) candidates.push(i);
  return places ? { candidates, present: found, places, length } : { candidates, present: found, length };
}

/** What a windowed scan costs beyond the characters it reads, in characters of a whole-text scan (measured). */
const CALL_COST = 100;
const WINDOW_COST = 50;

/**
 * Where the matches of SIGNATURES[index] can start in a text scanned with places, for
 * `matchesInWindows` (without `inMatch`): every match holds a literal of each proven anchor group
 * that ends at most `reach` code units after the match's start, so every match starts in a window
 * `[end - reach, end)` of that group's occurrences. The group with the fewest occurrences is used;
 * windows closer than `maxLength` are joined (each window's scan reads `maxLength` past its end
 * anyway). Undefined when the text was scanned without places (or another text has been scanned
 * with places since), the signature proves no bound, or
 * the windows would read more than the text (dense anchors: one scan of the text is cheaper, and
 * the windows' cost stays linear in the text).
 */
export function signatureWindows(scan: AnchorScan, index: number): { maxLength: number; windows: [number, number][] } | undefined {
  const plan = PLANS[index];
  if (!plan || scan.places?.generation !== generation) return undefined;
  let best: WindowPlan['groups'][number] | undefined;
  let bestCost = Infinity;
  for (const group of plan.groups) {
    let n = 0;
    for (const place of group.places) n += placeCount(place);
    const cost = n * (group.reach + plan.maxLength);
    if (cost < bestCost) {
      bestCost = cost;
      best = group;
    }
  }
  if (!best) return undefined;
  // No occurrence: no match (but the trigger scan only makes candidates of signatures with one).
  if (bestCost === 0) return { maxLength: plan.maxLength, windows: [] };
  let n = 0;
  for (const place of best.places) n += placeCount(place);
  const ends = new Int32Array(n);
  let k = 0;
  for (const place of best.places) {
    if (STAMP[place] !== generation) continue;
    for (let e = HEADS[2 * place]!; e > 0; e = ENTRIES[2 * e - 1]!) ends[k++] = ENTRIES[2 * e - 2]! + PLACE_LENGTH[place]!;
  }
  ends.sort();
  const windows: [number, number][] = [];
  let read = CALL_COST;
  const { reach } = best;
  const { maxLength } = plan;
  for (let i = 0; i < n; ) {
    const from = ends[i]! - reach;
    let to = ends[i]!;
    for (i++; i < n && ends[i]! - reach <= to + maxLength; i++) to = ends[i]!;
    windows.push([from, to]);
    read += to - from + maxLength + WINDOW_COST;
    if (read >= scan.length) return undefined;
  }
  return { maxLength, windows };
}

/** `anchorsPresent(text, SIGNATURES[index])` for a scanned text: every later anchor group of the signature has a literal in it. */
export function laterAnchorsPresent(scan: AnchorScan, index: number): boolean {
  for (const group of groups[index]!) {
    let any = false;
    for (const id of group) {
      if (scan.present[id] === 1) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  return true;
}

/**
 * The first match of SIGNATURES[index] in the scanned text, as `exec` on the whole text finds it:
 * near the signature's anchors when `signatureWindows` gives windows, else by that `exec`.
 */
export function firstSignatureMatch(scan: AnchorScan, index: number, text: string): RegExpExecArray | null {
  const { pattern } = SIGNATURES[index]!;
  const near = signatureWindows(scan, index);
  if (near) return matchesInWindows({ re: pattern, maxLength: near.maxLength }, text, near.windows, 1)[0] ?? null;
  pattern.lastIndex = 0;
  return pattern.exec(text);
}
