/**
 * Operator term lists: whole words or phrases, case-insensitive, matched on a folded copy of the
 * text of the same length (NFKC per character where it keeps one character), so offsets stay valid.
 * Matching walks the text once and looks words up in a map: linear, whatever the list.
 */

export interface TermHit {
  start: number;
  end: number;
  list: string;
}

interface Entry {
  words: string[];
  list: string;
}

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu;

function fold(text: string): string {
  let out = '';
  for (const ch of text) {
    const n = ch.normalize('NFKC').toLowerCase();
    out += n.length === ch.length ? n : ch.toLowerCase().length === ch.length ? ch.toLowerCase() : ch;
  }
  return out;
}

export class TermMatcher {
  /** First word → entries starting with it, longest first. */
  private readonly byFirst = new Map<string, Entry[]>();
  readonly longest: number;

  constructor(lists: Readonly<Record<string, readonly string[]>>) {
    let longest = 0;
    for (const [list, terms] of Object.entries(lists)) {
      for (const term of terms) {
        const words = fold(term).match(WORD) ?? [];
        if (words.length === 0) continue;
        longest = Math.max(longest, term.length * 2);
        const entries = this.byFirst.get(words[0]!) ?? [];
        entries.push({ words, list });
        entries.sort((a, b) => b.words.length - a.words.length);
        this.byFirst.set(words[0]!, entries);
      }
    }
    this.longest = longest;
  }

  find(text: string): TermHit[] {
    if (this.byFirst.size === 0) return [];
    const folded = fold(text);
    const tokens: { w: string; start: number; end: number }[] = [];
    for (const m of folded.matchAll(WORD)) tokens.push({ w: m[0], start: m.index, end: m.index + m[0].length });
    const hits: TermHit[] = [];
    for (let i = 0; i < tokens.length; i++) {
      const entries = this.byFirst.get(tokens[i]!.w);
      if (!entries) continue;
      for (const e of entries) {
        if (i + e.words.length > tokens.length) continue;
        let ok = true;
        for (let k = 1; k < e.words.length && ok; k++) ok = tokens[i + k]!.w === e.words[k];
        if (ok) {
          hits.push({ start: tokens[i]!.start, end: tokens[i + e.words.length - 1]!.end, list: e.list });
          break;
        }
      }
    }
    return hits;
  }
}
