/**
 * Per-character folding tables: invisible characters, compatibility forms, homoglyphs.
 * Everything here is a pure function of one code point, cached, so the normalizer stays linear.
 */

export type InvisibleKind = 'zero_width' | 'bidi' | 'tag_chars' | 'variation_selector';

export function invisibleKind(cp: number): InvisibleKind | undefined {
  if (cp < 0x034f) return cp === 0x00ad ? 'zero_width' : undefined;
  if (
    cp === 0x034f ||
    cp === 0x180e ||
    (cp >= 0x200b && cp <= 0x200d) ||
    (cp >= 0x2060 && cp <= 0x2064) ||
    cp === 0xfeff ||
    cp === 0x115f ||
    cp === 0x1160 ||
    cp === 0x3164 ||
    cp === 0xffa0
  )
    return 'zero_width';
  if (cp === 0x200e || cp === 0x200f || cp === 0x061c || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) return 'bidi';
  if (cp >= 0xe0000 && cp <= 0xe007f) return 'tag_chars';
  if ((cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef)) return 'variation_selector';
  return undefined;
}

/** Unicode tag characters mirror ASCII: U+E0041 is an invisible "A". Returns the ASCII it smuggles. */
export function tagCharToAscii(cp: number): string | undefined {
  if (cp >= 0xe0020 && cp <= 0xe007e) return String.fromCharCode(cp - 0xe0000);
  return undefined;
}

/**
 * Cyrillic, Greek and other letters that look like Latin ones. Applied only inside words that
 * mix scripts, so real Russian or Greek text is left alone.
 */
const CONFUSABLES: Record<string, string> = {
  // Cyrillic
  а: 'a', в: 'b', е: 'e', ё: 'e', к: 'k', м: 'm', н: 'h', о: 'o', р: 'p', с: 'c', т: 't', у: 'y', х: 'x', ѕ: 's', і: 'i', ї: 'i', ј: 'j',
  ԁ: 'd', ԛ: 'q', ԝ: 'w', һ: 'h', ӏ: 'l', ɡ: 'g', ь: 'b', ѵ: 'v', ү: 'y', ҳ: 'x', ԍ: 'g',
  // Greek
  α: 'a', β: 'b', ε: 'e', η: 'n', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', γ: 'y', ω: 'w', ϲ: 'c', ϳ: 'j', μ: 'u',
  // Latin look-alikes outside ASCII
  ı: 'i', ȷ: 'j', ɑ: 'a', ɩ: 'i', ʏ: 'y', ᴀ: 'a', ʙ: 'b', ᴄ: 'c', ᴅ: 'd', ᴇ: 'e', ɢ: 'g', ʜ: 'h', ɪ: 'i', ᴊ: 'j', ᴋ: 'k', ʟ: 'l', ᴍ: 'm',
  ɴ: 'n', ᴏ: 'o', ᴘ: 'p', ʀ: 'r', ꜱ: 's', ᴛ: 't', ᴜ: 'u', ᴠ: 'v', ᴡ: 'w', ᴢ: 'z',
};

export function confusableToLatin(lowerChar: string): string | undefined {
  return CONFUSABLES[lowerChar];
}

export function isConfusableScript(cp: number): boolean {
  return (cp >= 0x0370 && cp <= 0x052f) || (cp >= 0x0250 && cp <= 0x02af) || (cp >= 0x1d00 && cp <= 0x1d7f) || cp === 0x0131 || cp === 0x0237 || cp === 0xa731;
}

export type CompatKind = 'fullwidth' | 'math_alnum' | 'enclosed' | 'compat';

/** Why NFKC changed a letter or digit, for the obfuscation report. Punctuation is not counted. */
export function compatKind(cp: number): CompatKind {
  if ((cp >= 0xff10 && cp <= 0xff19) || (cp >= 0xff21 && cp <= 0xff3a) || (cp >= 0xff41 && cp <= 0xff5a)) return 'fullwidth';
  if (cp >= 0x1d400 && cp <= 0x1d7ff) return 'math_alnum';
  if ((cp >= 0x2460 && cp <= 0x24ff) || (cp >= 0x1f100 && cp <= 0x1f1ff)) return 'enclosed';
  return 'compat';
}

const bmpCache: (string | undefined)[] = new Array(0x10000);
const astralCache = new Map<number, string>();

/**
 * The folded form of one code point: NFKC, lower case, Latin diacritics removed.
 * Returns the character itself when nothing changes (compare with `===`).
 */
export function foldCodePoint(cp: number, ch: string): string {
  if (cp < 0x10000) {
    const hit = bmpCache[cp];
    if (hit !== undefined) return hit;
    const folded = computeFold(cp, ch);
    bmpCache[cp] = folded;
    return folded;
  }
  let hit = astralCache.get(cp);
  if (hit === undefined) {
    hit = computeFold(cp, ch);
    if (astralCache.size < 50_000) astralCache.set(cp, hit);
  }
  return hit;
}

const COMBINING_DIACRITIC = /[\u0300-\u036f]/g;

const QUOTES: Record<number, string> = { 0x2018: "'", 0x2019: "'", 0x201b: "'", 0x2032: "'", 0x02bc: "'", 0x201c: '"', 0x201d: '"', 0x201e: '"', 0x2033: '"' };

function computeFold(cp: number, ch: string): string {
  const quote = QUOTES[cp];
  if (quote) return quote;
  let s = ch.normalize('NFKC').toLowerCase();
  // Latin letters with diacritics fold to their base letter ("ïgnörë" reads as "ignore").
  if ((cp >= 0x00c0 && cp <= 0x024f) || (cp >= 0x1e00 && cp <= 0x1eff) || /[\u00c0-\u024f\u1e00-\u1eff]/.test(s)) {
    s = s.normalize('NFD').replace(COMBINING_DIACRITIC, '').normalize('NFC');
  }
  if (cp >= 0x0300 && cp <= 0x036f) s = '';
  return s;
}
