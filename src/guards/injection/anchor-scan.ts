/**
 * One pass over a normalized text that finds the candidate signatures (the shared trigger scan of
 * `candidateSignatures`) and which literals of the signatures' later anchor groups occur (what
 * `anchorsPresent` asks `includes` for, one literal at a time). The result is the same as those
 * two; only the work differs: a hash of the first three code units of every literal (the first
 * two for shorter literals) leads each position straight to the few literals that can start there.
 *
 * The trigger scan reproduces the regex alternation it replaces exactly: at each position the
 * literals are tried longest first (ties in their first-seen order), the first that matches wins
 * and the scan resumes after it, so matches never overlap; `=word` anchors match whole words
 * only (`\b` on both sides, ASCII word characters); ASCII and non-ASCII literals are two separate
 * alternations, each with its own resume point.
 */

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

export interface AnchorScan {
  /** Candidate SIGNATURES indices, ascending: what `candidateSignatures` returns. */
  readonly candidates: number[];
  /** Per later-group literal: whether it occurs in the text. */
  readonly present: Uint8Array;
}

const scratch = new CodeUnits();

export function scanAnchors(text: string): AnchorScan {
  const length = text.length;
  const units = scratch.load(text);
  const hit = new Uint8Array(SIGNATURES.length);
  const found = new Uint8Array(literals.length - triggerCount);
  // Where each alternation may match next, and whether it matched at the current position.
  let resume0 = 0;
  let resume1 = 0;
  // The next three code units, rolled along (0 past the end: only read where p + 3 <= length).
  let c1 = length > 0 ? units[0]! : 0;
  let c2 = length > 1 ? units[1]! : 0;
  for (let p = 0; p < length; p++) {
    const c0 = c1;
    c1 = c2;
    c2 = p + 2 < length ? units[p + 2]! : 0;
    // Longer literals first: every long literal outranks every short one in an alternation.
    const longAt = p + 3 <= length ? LONG_HEAD[hash3(c0, c1, c2)]! : -1;
    const shortAt = SHORT_HEAD[shortKey(c0, c1)]!;
    if (longAt < 0 && shortAt < 0) continue;
    let done0 = resume0 > p;
    let done1 = resume1 > p;
    for (let pass = 0; pass < 2; pass++) {
      let at = pass === 0 ? longAt : shortAt;
      if (at < 0) continue;
      for (let id = LIST[at]!; id >= 0; id = LIST[++at]!) {
        if (id >= triggerCount) {
          const f = id - triggerCount;
          if (found[f] === 0 && matchesAt(units, length, p, id)) found[f] = 1;
          continue;
        }
        const flags = LIT_FLAGS[id]!;
        if ((flags & 2) === 0 ? done0 : done1) continue;
        if (!matchesAt(units, length, p, id)) continue;
        const end = p + LIT_LENGTH[id]!;
        if ((flags & 1) !== 0 && !(wordBoundary(units, length, p) && wordBoundary(units, length, end))) continue;
        for (const i of LIT_SIGNATURES[id]!) hit[i] = 1;
        if ((flags & 2) === 0) {
          resume0 = end;
          done0 = true;
        } else {
          resume1 = end;
          done1 = true;
        }
      }
    }
  }
  const candidates: number[] = [];
  for (let i = 0; i < hit.length; i++) if (hit[i]) candidates.push(i);
  return { candidates, present: found };
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
