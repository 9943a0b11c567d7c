import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { type CountryCode, parsePhone } from './phone-numbers.js';
import {
  base58Decode,
  bech32Valid,
  finnishIdValid,
  ibanMod97Valid,
  italianFiscalCodeValid,
  luhnValid,
  peselValid,
  spanishIdValid,
  koreanRrnShape,
  singaporeNricValid,
  southAfricanIdValid,
  swedishPersonnummerValid,
  turkishIdValid,
  ukNhsValid,
  ukNinoValid,
  usSsnValid,
  verhoeffValid,
} from './checksums.js';
import { matchesInWindows, type WindowedPattern } from '../../core/windowed-scan.js';

/** A PII value found in a text, before overlap resolution and thresholds. */
export interface Candidate {
  start: number;
  end: number;
  /** Entity name without the `pii.` prefix: `email`, `phone`, … */
  entity: string;
  score: number;
  reason: string;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isUpper = (c: number): boolean => c >= 65 && c <= 90;
const isLower = (c: number): boolean => c >= 97 && c <= 122;
const isAlnum = (c: number): boolean => isDigit(c) || isUpper(c) || isLower(c);
const isHex = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const isAsciiLetter = (c: number): boolean => (c | 32) >= 97 && (c | 32) <= 122;
const WORD_UNIT = /[\p{L}\p{N}_]/u;
/**
 * Letters and digits of any script (one UTF-16 unit; NaN past either end of the text): a value glued
 * to one of these is part of a longer word. ASCII is decided without the regex.
 */
const isWordUnit = (c: number): boolean => (c < 128 ? isAlnum(c) || c === 95 : c === c && WORD_UNIT.test(String.fromCharCode(c)));

/** The lower-cased text just before `start`, where context words ("my SSN is") live. */
export function contextBefore(text: string, start: number, width = 40): string {
  return text.slice(Math.max(0, start - width), start).toLowerCase();
}
function contextAfter(text: string, end: number, width = 24): string {
  return text.slice(end, end + width).toLowerCase();
}

const CONTEXT = {
  card: /\b(?:card|cc|visa|mastercard|amex|credit|debit|payment|pan)\b/,
  ssn: /\b(?:ssn|social security|social sec|ss#|ss #)/,
  phone: /\b(?:phone|call|tel|telephone|mobile|cell|fax|desk|office|whatsapp|sms|text me|reach me|contact|dial)\b/,
  phoneAfter: /^[\s-]*(?:office|fax|mobile|cell|home|work|\(?ext)/,
  aadhaar: /\b(?:aadhaar|aadhar|uidai|uid)\b/,
  sin: /\b(?:sin|social insurance)\b/,
  dob: /\b(?:born|dob|d\.o\.b|date of birth|birth ?date|birthday|geboren|né|née)\b/,
  nino: /\b(?:national insurance|nino|ni number|ni no)\b/,
  pesel: /\bpesel\b/,
  nhs: /\b(?:nhs|national health)\b/,
  sePnr: /(?:personnummer|pnr|personal identity|swedish id|id code)/,
  krRrn: /\b(?:rrn|resident registration|주민등록)/,
  tckn: /\b(?:tc|t\.c\.|kimlik|tckn|turkish id)\b/,
  /** Numbers that are something else: licences, accounts, orders, street numbers. */
  notPhone: /(?:licen[cs]e|passport|account|acct|order|invoice|ticket|tracking|id|iban|routing|suite|apt\.?|unit|box|no\.?|#)[\s:#.]*(?:number|no\.?|#)?[\s:#.]*(?:is[\s:]*)?$/,
};

// ---------------------------------------------------------------- email

/**
 * Letters of internationalized addresses (RFC 6531 local parts, IDN domains: `jörg@müller-bau.de`):
 * Latin, Greek and Cyrillic letters and combining marks. Other scripts are left out, since prose in
 * them is written without a space before an address.
 */
const INTL_LETTER = /[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}\p{M}]/u;
const isIntlLetter = (c: number): boolean => c >= 0xc0 && c !== 0xd7 && c !== 0xf7 && INTL_LETTER.test(String.fromCharCode(c));
/** `[A-Za-z0-9._%+\-]`, and international letters */
const isLocalChar = (c: number): boolean => isAlnum(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45 || isIntlLetter(c);
/** `[A-Za-z0-9.\-]`, and international letters */
const isDomainChar = (c: number): boolean => isAlnum(c) || c === 46 || c === 45 || isIntlLetter(c);
const TLD = /^(?:[A-Za-z]{2,24}|xn--[a-z0-9-]{2,59}|[\p{Script=Greek}\p{Script=Cyrillic}]{2,24})$/u;

function findEmails(text: string, out: Candidate[]): void {
  let at = text.indexOf('@');
  while (at >= 0) {
    let s = at;
    while (s > 0 && at - s < 64 && isLocalChar(text.charCodeAt(s - 1))) s--;
    let e = at + 1;
    while (e < text.length && e - at < 255 && isDomainChar(text.charCodeAt(e))) e++;
    while (e > at + 1 && (text[e - 1] === '.' || text[e - 1] === '-')) e--;
    while (s < at && text[s] === '.') s++;
    const domain = text.slice(at + 1, e);
    const lastDot = domain.lastIndexOf('.');
    const tld = lastDot > 0 ? domain.slice(lastDot + 1) : '';
    if (s < at && lastDot > 0 && TLD.test(tld) && !domain.includes('..') && !text.slice(s, at).includes('..')) {
      out.push({ start: s, end: e, entity: 'email', score: 0.95, reason: 'email address' });
    }
    at = text.indexOf('@', Math.max(e, at + 1));
  }
}

// ---------------------------------------------------------------- IP, MAC

/** Whether the regex `:[0-9A-Fa-f]{0,4}:` matches at `c` (a colon): at most four hex digits, then a colon. */
function ipv6SeedAt(text: string, c: number): boolean {
  let q = c + 1;
  while (q < c + 5 && isHex(text.charCodeAt(q))) q++;
  return text.charCodeAt(q) === 58;
}

function findIps(text: string, out: Candidate[], runs: DigitRuns): void {
  // IPv4 (optionally with a CIDR suffix) and IPv6 (with zone or CIDR): scan tokens of hex digits, dots, colons.
  const n = text.length;
  // Where the regex `[0-9]\.[0-9]|:[0-9A-Fa-f]{0,4}:` run from `from` would match first, found from the
  // digit runs (the last digit of a run followed by `.` and a digit) and the colons.
  const { ends, count } = runs;
  let r = 0;
  let colonFrom = n + 1;
  let colonSeed = -1;
  const nextSeed = (from: number): number => {
    while (r > 0 && ends[r - 1]! - 1 >= from) r--;
    while (r < count && (ends[r]! - 1 < from || text.charCodeAt(ends[r]!) !== 46 || !isDigit(text.charCodeAt(ends[r]! + 1)))) r++;
    if (from < colonFrom || (colonSeed >= 0 && colonSeed < from)) {
      colonFrom = from;
      colonSeed = text.indexOf(':', from);
      while (colonSeed >= 0 && !ipv6SeedAt(text, colonSeed)) colonSeed = text.indexOf(':', colonSeed + 1);
    }
    const v4 = r < count ? ends[r]! - 1 : -1;
    return v4 < 0 ? colonSeed : colonSeed < 0 ? v4 : Math.min(v4, colonSeed);
  };
  let i = 0;
  while (i < n) {
    const k = nextSeed(i);
    if (k < 0) break;
    i = k;
    while (i > 0 && k - i < 40) {
      const p = text.charCodeAt(i - 1);
      if (isHex(p) || p === 58 || p === 46) i--;
      else break;
    }
    // Walking back may pass dots of a preceding sentence; an address starts after the last such dot.
    while (text[i] === '.' || (text[i] === ':' && text[i + 1] !== ':')) i++;
    if (i > k) i = k;
    if (i > 0 && (isAlnum(text.charCodeAt(i - 1)) || text[i - 1] === '_' || text[i - 1] === '.')) {
      i = k + 1;
      continue;
    }
    let j = i;
    let colons = 0;
    while (j < n && j - i < 45) {
      const d = text.charCodeAt(j);
      if (isHex(d) || d === 46) j++;
      else if (d === 58) {
        colons++;
        j++;
      } else break;
    }
    let token = text.slice(i, j);
    while (token.endsWith('.') || (token.endsWith(':') && !token.endsWith('::'))) token = token.slice(0, -1);
    let end = i + token.length;
    if (end < n && isAlnum(text.charCodeAt(end))) {
      i = Math.max(j, k + 1);
      continue;
    }
    let matched = false;
    if (colons === 0 && /^(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/.test(token)) {
      matched = true;
      const prefix = /^\/(?:3[0-2]|[12]?[0-9])(?![0-9])/.exec(text.slice(end, end + 4));
      if (prefix) end += prefix[0].length;
      // Version numbers (`v1.2.3.4`) and OIDs sit in longer dotted runs.
      if (text[end] === '.' && isDigit(text.charCodeAt(end + 1))) matched = false;
    } else if (colons >= 2 && isIPv6(token)) {
      matched = true;
      const zone = /^%[A-Za-z0-9_.\-]{1,16}/.exec(text.slice(end, end + 17));
      if (zone) end += zone[0].length;
      const prefix = /^\/(?:12[0-8]|1[01][0-9]|[1-9]?[0-9])(?![0-9])/.exec(text.slice(end, end + 5));
      if (prefix) end += prefix[0].length;
      // `12:30:45` and similar clock times are valid IPv6 only by accident.
      if (/^[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?$/.test(token)) matched = false;
    }
    if (matched) {
      out.push({ start: i, end, entity: 'ip_address', score: 0.9, reason: colons ? 'IPv6 address' : 'IPv4 address' });
      i = end;
    } else {
      i = Math.max(j, k + 1);
    }
  }
}

const MAC_GATE = /[:\-][0-9A-Fa-f]{2}[:\-][0-9A-Fa-f]{2}[:\-]|\.[0-9A-Fa-f]{4}\./;
const isMacSeparator = (c: number): boolean => c === 58 || c === 45;

/** `MAC_GATE.test(text)`, from the text's colons, hyphens and dots (indexOf skips the rest several times faster). */
const MAC_SEPARATORS = [':', '-'];
function macGate(text: string): boolean {
  for (const sep of MAC_SEPARATORS) {
    for (let i = text.indexOf(sep); i >= 0; i = text.indexOf(sep, i + 1)) {
      if (isHex(text.charCodeAt(i + 1)) && isHex(text.charCodeAt(i + 2)) && isMacSeparator(text.charCodeAt(i + 3)) && isHex(text.charCodeAt(i + 4)) && isHex(text.charCodeAt(i + 5)) && isMacSeparator(text.charCodeAt(i + 6))) return true;
    }
  }
  for (let i = text.indexOf('.'); i >= 0; i = text.indexOf('.', i + 1)) {
    if (isHex(text.charCodeAt(i + 1)) && isHex(text.charCodeAt(i + 2)) && isHex(text.charCodeAt(i + 3)) && isHex(text.charCodeAt(i + 4)) && text.charCodeAt(i + 5) === 46) return true;
  }
  return false;
}

const MAC_GATES = new RegExp(MAC_GATE.source, 'g');
const MAC: WindowedPattern = {
  re: /(?<![0-9A-Fa-f:\-.])(?:[0-9A-Fa-f]{2}([:\-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})(?![0-9A-Fa-f:\-])/g,
  maxLength: 17,
  inMatch: (c) => isHex(c) || c === 0x3a || c === 0x2d || c === 0x2e,
};

/**
 * Only near what MAC_GATE finds (`:00-08:` in "23:00-08:00" is enough to open it): every MAC
 * address holds a gate match, so one found by a left-to-right scan starts within 20 characters.
 */
function findMacs(text: string, out: Candidate[]): void {
  const windows: [number, number][] = [];
  for (const g of text.matchAll(MAC_GATES)) windows.push([g.index - 20, g.index + 21]);
  for (const m of matchesInWindows(MAC, text, windows)) {
    out.push({ start: m.index, end: m.index + m[0].length, entity: 'mac_address', score: 0.85, reason: 'MAC address' });
  }
}

// ---------------------------------------------------------------- IBAN

const IBAN_LENGTHS: Record<string, number> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28, CH: 21, CR: 22,
  CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22,
  GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HN: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30,
  KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20,
  MR: 27, MT: 31, MU: 30, NI: 28, NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22,
  RU: 33, SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26,
  UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
};

function findIbans(text: string, out: Candidate[], runs: DigitRuns): void {
  const n = text.length;
  const { starts, ends, count } = runs;
  // What the regex `[A-Za-z]{2}[0-9]{2}` finds, left to right: two letters right before a run of two
  // digits or more (matches cannot overlap); a scan resumes after the match or the IBAN found.
  let from = 0;
  for (let r = 0; r < count; r++) {
    const i = starts[r]! - 2;
    if (i < from || ends[r]! - starts[r]! < 2 || !isAsciiLetter(text.charCodeAt(i)) || !isAsciiLetter(text.charCodeAt(i + 1))) continue;
    from = i + 4;
    if (i > 0 && isWordUnit(text.charCodeAt(i - 1))) continue;
    const cc = text.slice(i, i + 2).toUpperCase();
    const len = IBAN_LENGTHS[cc];
    if (!len || !isDigit(text.charCodeAt(i + 2)) || !isDigit(text.charCodeAt(i + 3))) continue;
    let j = i;
    let compact = '';
    while (j < n && compact.length < len) {
      const c = text.charCodeAt(j);
      if (isAlnum(c)) {
        compact += text[j]!;
        j++;
      } else if ((c === 32 || c === 45) && compact.length >= 4 && j + 1 < n && isAlnum(text.charCodeAt(j + 1))) {
        j++;
      } else break;
    }
    if (compact.length !== len || (j < n && isAlnum(text.charCodeAt(j)))) continue;
    const upper = compact.toUpperCase();
    if (!ibanMod97Valid(upper)) continue;
    out.push({ start: i, end: j, entity: 'iban', score: upper === compact ? 0.95 : 0.8, reason: 'IBAN with a valid mod-97 check' });
    from = j;
  }
}

// ---------------------------------------------------------------- number runs: cards, SSN, phones, national numbers

const CARD_ISSUERS: [RegExp, number[]][] = [
  [/^4/, [13, 16, 19]],
  [/^(?:5[1-5]|2(?:2[2-9][1-9]|2[3-9][0-9]|[3-6][0-9]{2}|7[01][0-9]|720))/, [16]],
  [/^3[47]/, [15]],
  [/^(?:6011|65|64[4-9]|622)/, [16, 19]],
  [/^35(?:2[89]|[3-8][0-9])/, [16, 19]],
  [/^(?:30[0-5]|3095|36|3[89])/, [14, 16, 19]],
  [/^(?:2131|1800)/, [15]],
  [/^62/, [16, 17, 18, 19]],
  [/^(?:5[06-9]|6[0-9])/, [12, 13, 14, 15, 16, 17, 18, 19]],
];

function cardIssuerMatches(digits: string): boolean {
  const n = digits.length;
  for (const [re, lens] of CARD_ISSUERS) if (lens.includes(n) && re.test(digits)) return true;
  return false;
}

const PHONE_COUNTRIES: CountryCode[] = ['US', 'GB', 'DE', 'FR', 'ES', 'IT', 'NL', 'IN', 'BR', 'JP', 'CN', 'AU'];

/**
 * Whether a country's national numbering plan allows `n` digits starting with `d0` (trunk prefix,
 * length), so that only a few full validations run per candidate: each costs a few µs.
 */
function countryFits(country: CountryCode, n: number, d0: string): boolean {
  if (d0 === '0') {
    switch (country) {
      case 'GB': return n === 10 || n === 11;
      case 'DE': return n >= 7 && n <= 13;
      case 'FR': case 'NL': case 'AU': return n === 10;
      case 'IT': return n >= 6 && n <= 11;
      case 'IN': return n === 11;
      case 'BR': return n >= 10 && n <= 13;
      case 'JP': return n === 10 || n === 11;
      case 'CN': return n >= 10 && n <= 12;
      default: return false;
    }
  }
  switch (country) {
    case 'US': return (n === 10 && d0 >= '2') || (n === 11 && d0 === '1');
    case 'ES': return n === 9 && d0 >= '6';
    case 'IT': return d0 === '3' && (n === 9 || n === 10);
    case 'IN': return n === 10 && d0 >= '6';
    case 'BR': return n === 10 || n === 11;
    case 'CN': return n === 11 && d0 === '1';
    case 'DE': case 'GB': case 'FR': case 'NL': case 'AU': case 'JP': return n >= 7 && n <= 9;
    default: return false;
  }
}

/** A number followed on the same line by a capitalized word or a street word is a house number. */
const STREET_AFTER = /^ (?:\p{Lu}\p{Ll}|(?:[Rr]ue|[Ss]treet|[Ss]t|[Aa]venue|[Aa]ve|[Rr]oad|[Rr]d|[Ll]ane|[Dd]rive|[Vv]ia|[Cc]alle|[Ss]tr)\b)/u;
const PHONE_EXTENSION = /^(?:x|(?: ?ext\.? ?))[0-9]{1,5}(?![0-9])/i;

/**
 * The phone score of the run `text[start, end)` (`run`, holding `nd` digits, the first `d0`); 0 when
 * it is no phone number. libphonenumber-js is asked only about runs with a phone's digit count, for
 * the countries whose plan fits them.
 */
function phoneScore(text: string, start: number, end: number, run: string, nd: number, d0: string): number {
  const plus = run.charCodeAt(0) === 43;
  if (!plus && (nd < 7 || nd > 13)) return 0;
  const before = contextBefore(text, start);
  const inContext = (): boolean => CONTEXT.phone.test(before.slice(-28)) || CONTEXT.phoneAfter.test(contextAfter(text, end));
  if (plus) {
    const p = parsePhone(run);
    if (p?.isValid()) return 0.9;
    if (p?.isPossible()) return inContext() ? 0.85 : 0.6;
    return nd >= 8 && inContext() ? 0.6 : 0;
  }
  const context = inContext();
  if (!context && (CONTEXT.notPhone.test(before) || STREET_AFTER.test(text.slice(end, end + 12)))) return 0;
  let valid = false;
  for (const country of PHONE_COUNTRIES) {
    if (countryFits(country, nd, d0) && parsePhone(run, country)?.isValid()) {
      valid = true;
      break;
    }
  }
  // Written in groups (`415 555-0132`): a run holds digits, a leading `+` and the separators ` -.()`
  // only, so anything else in it is a separator.
  const grouped = run.length > nd + (plus ? 1 : 0);
  if (valid) return context ? 0.9 : grouped ? 0.7 : 0.5;
  if (context && grouped) return 0.75;
  if (context && nd >= 8) return 0.6;
  return 0;
}

const DATE_LIKE = /^(?:[0-9]{4}[-./][0-9]{1,2}[-./][0-9]{1,2}|[0-9]{1,2}[-./][0-9]{1,2}[-./](?:[0-9]{4}|[0-9]{2}))$/;
const ISO_DATE_START = /^[0-9]{4}-[0-9]{2}-[0-9]{2}/;
const NON_DIGITS = /[^0-9]/g;
const ALL_ZEROS = /^0+$/;
const SHAPE = {
  ssn: /^[0-9]{3}([- ])[0-9]{2}\1[0-9]{4}$|^[0-9]{9}$/,
  aadhaar: /^[2-9][0-9]{3}([ -]?)[0-9]{4}\1[0-9]{4}$/,
  sin: /^[1-79][0-9]{2}([ -]?)[0-9]{3}\1[0-9]{3}$/,
  itin: /^9[0-9]{2}([- ])(?:5[0-9]|6[0-5]|7[0-9]|8[0-8]|9[0-2]|9[4-9])\1[0-9]{4}$/,
  sePnr: /^(?:1[89]|20)?[0-9]{6}[-+][0-9]{4}$/,
  sePnrCompact: /^(?:1[89]|20)?[0-9]{10}$/,
  krRrn: /^[0-9]{6}-[1-8][0-9]{6}$/,
  krRrnCompact: /^[0-9]{6}[1-8][0-9]{6}$/,
  digits13: /^[0-9]{13}$/,
  trId: /^[1-9][0-9]{10}$/,
  nhs: /^[0-9]{3}([ -]?)[0-9]{3}\1[0-9]{4}$/,
  digits11: /^[0-9]{11}$/,
};

/** The separators of a run (all but digits and `+`) are all spaces or all hyphens (or none). */
function uniformSeparators(run: string): boolean {
  let sep = 0;
  for (let k = 0; k < run.length; k++) {
    const c = run.charCodeAt(k);
    if (isDigit(c) || c === 43) continue;
    if (sep === 0) {
      if (c !== 32 && c !== 45) return false;
      sep = c;
    } else if (c !== sep) return false;
  }
  return true;
}

/**
 * Classifies the run `text[start, end)`. Each value's shape fixes its digit count, so a shape is only
 * tested on runs with that many digits, and the context before and after is read only when a check
 * needs it: most runs (years, amounts, house numbers) cost a count of their digits.
 */
function classifyRun(text: string, start: number, end: number, out: Candidate[], allowPhone = true): boolean {
  // A value in parentheses, `(078-05-1120)`: judge what is inside, unless it is a phone's area code.
  if (text.charCodeAt(start) === 40 && text.charCodeAt(end - 1) === 41 && !hasParenthesis(text, start + 1, end - 1) && classifyRun(text, start + 1, end - 1, out, false)) return true;
  let nd = 0;
  let d0 = '';
  for (let k = start; k < end; k++) {
    if (isDigit(text.charCodeAt(k)) && nd++ === 0) d0 = text[k]!;
  }
  const run = text.slice(start, end);

  const len = run.length;
  // Exact shortcuts: each shape below implies its run length (`compact`: digits only).
  const compact = len === nd;
  if ((nd >= 8 && run.charCodeAt(4) === 45 && ISO_DATE_START.test(run)) || (text.charCodeAt(end) === 58 && isDigit(text.charCodeAt(end + 1)))) return true;
  if (nd >= 4 && nd <= 8 && DATE_LIKE.test(run)) {
    if (CONTEXT.dob.test(contextBefore(text, start))) out.push({ start, end, entity: 'date_of_birth', score: 0.85, reason: 'date of birth (by context)' });
    return true;
  }

  if (nd >= 9) {
    // The digits alone, read only by the checks that reach their checksum.
    let digits: string | undefined;
    const digitsOfRun = (): string => (digits ??= compact ? run : run.replace(NON_DIGITS, ''));
    let before: string | undefined;

    // US SSN: 3-2-4 with one kind of separator, or 9 bare digits with context.
    if (nd === 9 && (compact || len === 11) && SHAPE.ssn.test(run) && usSsnValid(digitsOfRun())) {
      const ctx = CONTEXT.ssn.test((before ??= contextBefore(text, start)));
      const score = len === 11 ? (ctx ? 0.95 : 0.75) : ctx ? 0.85 : 0;
      if (score > 0) {
        out.push({ start, end, entity: 'us_ssn', score, reason: ctx ? 'US SSN with context' : 'US SSN format' });
        return true;
      }
    }

    // Payment cards: Luhn plus an issuer range; without an issuer match only next to card words.
    if (nd >= 12 && nd <= 19 && uniformSeparators(run) && run.charCodeAt(0) !== 43 && luhnValid(digitsOfRun()) && !ALL_ZEROS.test(digitsOfRun())) {
      const ctx = CONTEXT.card.test((before ??= contextBefore(text, start)));
      const issuer = cardIssuerMatches(digitsOfRun());
      const score = issuer ? (ctx ? 0.98 : nd >= 15 ? 0.9 : 0.7) : ctx ? 0.85 : 0;
      if (score > 0 && !(nd === 12 && CONTEXT.aadhaar.test(before))) {
        out.push({ start, end, entity: 'credit_card', score, reason: `payment card number (Luhn${issuer ? ', issuer range' : ''}${ctx ? ', context' : ''})` });
        return true;
      }
    }

    // Aadhaar: 12 digits, first 2-9, Verhoeff.
    if (nd === 12 && (compact || len === 14) && SHAPE.aadhaar.test(run) && verhoeffValid(digitsOfRun())) {
      const ctx = CONTEXT.aadhaar.test((before ??= contextBefore(text, start)));
      out.push({ start, end, entity: 'in_aadhaar', score: ctx ? 0.95 : 0.6, reason: 'Aadhaar number (Verhoeff)' });
      return true;
    }

    if (nd === 9) {
      // Canadian SIN: 9 digits in 3-3-3, Luhn, only with context (too many 9-digit numbers otherwise).
      if ((compact || len === 11) && SHAPE.sin.test(run) && luhnValid(digitsOfRun()) && CONTEXT.sin.test((before ??= contextBefore(text, start)))) {
        out.push({ start, end, entity: 'ca_sin', score: 0.85, reason: 'Canadian SIN (Luhn, context)' });
        return true;
      }
      // US ITIN: area 9xx, group in the ITIN ranges.
      if (len === 11 && SHAPE.itin.test(run)) {
        out.push({ start, end, entity: 'us_itin', score: 0.85, reason: 'US ITIN' });
        return true;
      }
    }
    if (nd === 10 || nd === 12) {
      const seShape = (len === nd + 1 && SHAPE.sePnr.test(run)) || (compact && SHAPE.sePnrCompact.test(run) && CONTEXT.sePnr.test((before ??= contextBefore(text, start))));
      if (seShape && swedishPersonnummerValid(run)) {
        out.push({ start, end, entity: 'se_personnummer', score: 0.85, reason: 'Swedish personnummer (date, Luhn)' });
        return true;
      }
    }
    if (nd === 13) {
      if ((len === 14 && SHAPE.krRrn.test(run)) || (compact && SHAPE.krRrnCompact.test(run) && CONTEXT.krRrn.test((before ??= contextBefore(text, start))))) {
        const rrn = koreanRrnShape(run);
        if (rrn.valid) {
          out.push({ start, end, entity: 'kr_rrn', score: rrn.checksum ? 0.85 : 0.6, reason: 'Korean resident registration number' });
          return true;
        }
      }
      if (compact && SHAPE.digits13.test(run) && southAfricanIdValid(digitsOfRun())) {
        out.push({ start, end, entity: 'za_id', score: 0.75, reason: 'South African ID number (date, Luhn)' });
        return true;
      }
    }
    if (nd === 11 && compact && SHAPE.trId.test(run) && turkishIdValid(digitsOfRun())) {
      out.push({ start, end, entity: 'tr_national_id', score: CONTEXT.tckn.test((before ??= contextBefore(text, start))) ? 0.9 : 0.6, reason: 'Turkish national ID (two check digits)' });
      return true;
    }
    if (nd === 10 && (compact || len === 12) && SHAPE.nhs.test(run) && ukNhsValid(digitsOfRun()) && CONTEXT.nhs.test((before ??= contextBefore(text, start)))) {
      out.push({ start, end, entity: 'uk_nhs', score: 0.85, reason: 'UK NHS number (mod 11, context)' });
      return true;
    }
    if (nd === 11 && compact && SHAPE.digits11.test(run) && peselValid(digitsOfRun()) && CONTEXT.pesel.test((before ??= contextBefore(text, start)))) {
      out.push({ start, end, entity: 'pl_pesel', score: 0.9, reason: 'PESEL with context' });
      return true;
    }
  }

  const score = allowPhone ? phoneScore(text, start, end, run, nd, d0) : 0;
  if (score > 0) {
    // PHONE_EXTENSION starts with `x`, a space or `e` (any case).
    const c = text.charCodeAt(end) | 32;
    const ext = c === 120 || c === 32 || c === 101 ? PHONE_EXTENSION.exec(text.slice(end, end + 10)) : null;
    out.push({ start, end: ext ? end + ext[0].length : end, entity: 'phone', score, reason: 'phone number' });
    return true;
  }
  return false;
}

function hasParenthesis(text: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) {
    const c = text.charCodeAt(k);
    if (c === 40 || c === 41) return true;
  }
  return false;
}

/** Whether `text[k]` opens or extends a word, a decimal, a path or a range: no run starts after it. */
function gluedBefore(text: string, k: number): boolean {
  const c = text.charCodeAt(k);
  return c === 46 || c === 47 || c === 45 || c === 43 || isWordUnit(c);
}

/** Covered-group flags of findNumberRuns' fallback, reused (a run holds at most a few dozen groups). */
let coveredGroups = new Uint8Array(64);

/**
 * Finds runs of digits with phone-style separators (`+44 (0)20 7946-0958`, `4111 1111 1111 1111`) and
 * classifies each; a run that is nothing as a whole is retried as its longest valid group windows.
 * Runs start at the digit runs found by `scanDigits` (or the `+` / `(` right before one).
 */
function findNumberRuns(text: string, out: Candidate[], runs: DigitRuns): void {
  const n = text.length;
  const { starts, ends, count } = runs;
  let r = 0;
  let i = 0;
  while (i < n) {
    // Where the regex `[+(]?[0-9]` run from i would match: the first digit at or after i, or the `+`
    // or `(` right before it.
    while (r < count && ends[r]! <= i) r++;
    if (r === count) break;
    const d = Math.max(i, starts[r]!);
    i = d > i && (text.charCodeAt(d - 1) === 43 || text.charCodeAt(d - 1) === 40) ? d - 1 : d;
    const c = text.charCodeAt(i);
    const opensRun = isDigit(c) || ((c === 43 || c === 40) && isDigit(text.charCodeAt(i + 1))) || (c === 43 && text[i + 1] === '(');
    if (!opensRun || (i > 0 && gluedBefore(text, i - 1))) {
      i++;
      continue;
    }
    let j = i + 1;
    let lastDigit = isDigit(c) ? i : -1;
    let gap = 0;
    while (j < n) {
      const d = text.charCodeAt(j);
      // Very long runs are cut at a separator, never inside a group of digits.
      if (j - i >= 64 && !isDigit(d)) break;
      if (isDigit(d)) {
        lastDigit = j;
        gap = 0;
      } else if (d === 32 || d === 45 || d === 46 || d === 40 || d === 41) {
        if (++gap > 2) break;
      } else break;
      j++;
    }
    if (lastDigit < 0) {
      i = j;
      continue;
    }
    let end = lastDigit + 1;
    if (text.charCodeAt(end) === 41) {
      const open = text.indexOf('(', i);
      if (open >= 0 && open < end) end++;
    }
    const next = text.charCodeAt(end);
    if (isWordUnit(next) && !(next === 120 && isDigit(text.charCodeAt(end + 1)))) {
      i = end;
      continue;
    }
    if (!classifyRun(text, i, end, out)) {
      // A run of several values (`10.0.0.1 4111 1111 1111 1111 12 25`): cover it left to right with the
      // longest group windows that classify, each starting and ending at a space-separated boundary.
      // The groups (`\+?[0-9]+`) are the digit runs inside, the first with the run's `+`.
      while (starts[r]! < i) r++;
      let last = r;
      while (last + 1 < count && starts[last + 1]! < end) last++;
      const groups = last - r + 1;
      const first = text.charCodeAt(i) === 43 ? i : starts[r]!;
      if (coveredGroups.length < groups) coveredGroups = new Uint8Array(groups * 2);
      const covered = coveredGroups.fill(0, 0, groups);
      // Cards, SSNs and IDs first, phones only in what is left (a phone window would otherwise eat a card's first group).
      for (let pass = 0; pass < 2; pass++) {
        const allowPhone = pass === 1;
        let g = 0;
        while (g < groups) {
          let advanced = false;
          const s0 = g === 0 ? first : starts[r + g]!;
          if (!covered[g] && (g === 0 || text.charCodeAt(s0 - 1) === 32)) {
            for (let size = Math.min(groups - g, 6); size >= 1; size--) {
              let free = true;
              for (let k = g; k < g + size; k++) if (covered[k]) free = false;
              if (!free) continue;
              const e = ends[r + g + size - 1]!;
              if (g + size < groups && text.charCodeAt(e) !== 32) continue;
              // The whole run was classified above, with phones allowed: it is nothing.
              if (s0 === i && e === end) continue;
              if (classifyRun(text, s0, e, out, allowPhone)) {
                covered.fill(1, g, g + size);
                g += size;
                advanced = true;
                break;
              }
            }
          }
          if (!advanced) g++;
        }
      }
    }
    i = end;
  }
}

// ---------------------------------------------------------------- identifiers with letters

/** Codice fiscale almost always carries its birth date as digits: `85T10` in `RSSMRA85T10A562S`. */
const FISCAL_GATE = /[0-9]{2}[A-EHLMPRSTa-ehlmprst][0-9LMNPQRSTUV]{2}[A-Za-z]/;
const FISCAL_GATE_AT = new RegExp(FISCAL_GATE.source, 'y');
/** The digits of a UK NINO after its two letters (and a space): three pairs, then the suffix letter. */
const NINO_DIGITS_AT = /[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-Da-d]/y;
const LETTER_ID = {
  spanish: /(?<![\p{L}\p{N}])(?:[0-9]{8}|[XYZxyz][0-9]{7})-?[A-Za-z](?![\p{L}\p{N}])/gu,
  fiscal: /(?<![\p{L}\p{N}])[A-Za-z]{6}[0-9LMNPQRSTUVlmnpqrstuv]{2}[A-Za-z][0-9LMNPQRSTUVlmnpqrstuv]{2}[A-Za-z][0-9LMNPQRSTUVlmnpqrstuv]{3}[A-Za-z](?![\p{L}\p{N}])/gu,
  nino: /(?<![\p{L}\p{N}])[A-Za-z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-Da-d](?![\p{L}\p{N}])/gu,
  nric: /(?<![\p{L}\p{N}])[STFGstfg][0-9]{7}[A-Za-z](?![\p{L}\p{N}])/gu,
  pan: /(?<![\p{L}\p{N}])[A-Z]{3}[ABCFGHLJPT][A-Z][0-9]{4}[A-Z](?![\p{L}\p{N}])/gu,
  hetu: /(?<![\p{L}\p{N}])[0-9]{6}[-+A-FU-Ya-fu-y][0-9]{3}[0-9A-Ya-y](?![\p{L}\p{N}])/gu,
};
const GATE = { spanish: 1, fiscal: 2, nino: 4, nric: 8, pan: 16, hetu: 32 };
const isNricLetter = (c: number): boolean => c === 83 || c === 84 || c === 70 || c === 71 || c === 115 || c === 116 || c === 102 || c === 103;
/** `[-+A-FU-Ya-fu-y]`, the century sign of a Finnish HETU. */
const isHetuSign = (c: number): boolean => c === 45 || c === 43 || ((c | 32) >= 97 && (c | 32) <= 102) || ((c | 32) >= 117 && (c | 32) <= 121);

/**
 * Which letter-ID patterns can match, read from the digit runs: each pattern holds a run of a fixed
 * length with given neighbours (a Spanish DNI 8 digits then `-` or a letter, a PAN 4 digits between
 * capitals, ...), so a pattern whose run is missing is not scanned for. The codice fiscale gate is
 * FISCAL_GATE itself: its two digits end a run.
 */
function letterIdGates(text: string, runs: DigitRuns): number {
  const { starts, ends, count } = runs;
  let gates = 0;
  for (let r = 0; r < count; r++) {
    const s = starts[r]!;
    const e = ends[r]!;
    const len = e - s;
    const before = text.charCodeAt(s - 1);
    const after = text.charCodeAt(e);
    if ((len === 8 || len === 7) && (after === 45 || isAsciiLetter(after))) gates |= GATE.spanish;
    if (len === 7 && isNricLetter(before) && isAsciiLetter(after)) gates |= GATE.nric;
    if (len === 4 && isUpper(before) && isUpper(after)) gates |= GATE.pan;
    if (len === 6 && isHetuSign(after) && isDigit(text.charCodeAt(e + 1))) gates |= GATE.hetu;
    if (len <= 6 && (isAsciiLetter(before) || (before === 32 && isAsciiLetter(text.charCodeAt(s - 2))))) {
      NINO_DIGITS_AT.lastIndex = s;
      if (NINO_DIGITS_AT.test(text)) gates |= GATE.nino;
    }
    if (len >= 2) {
      FISCAL_GATE_AT.lastIndex = e - 2;
      if (FISCAL_GATE_AT.test(text)) gates |= GATE.fiscal;
    }
  }
  return gates;
}

function findLetterIds(text: string, out: Candidate[], runs: DigitRuns): void {
  const gates = letterIdGates(text, runs);
  if (gates === 0) return;
  if (gates & GATE.spanish) for (const m of text.matchAll(LETTER_ID.spanish)) {
    if (spanishIdValid(m[0].replace('-', ''))) {
      const nie = /^[XYZxyz]/.test(m[0]);
      out.push({ start: m.index, end: m.index + m[0].length, entity: nie ? 'es_nie' : 'es_nif', score: 0.85, reason: `Spanish ${nie ? 'NIE' : 'DNI/NIF'} (mod-23 letter)` });
    }
  }
  if (gates & GATE.fiscal) for (const m of text.matchAll(LETTER_ID.fiscal)) {
    if (italianFiscalCodeValid(m[0])) out.push({ start: m.index, end: m.index + m[0].length, entity: 'it_fiscal_code', score: 0.9, reason: 'Italian codice fiscale (check letter)' });
  }
  if (gates & GATE.nino) for (const m of text.matchAll(LETTER_ID.nino)) {
    if (ukNinoValid(m[0])) {
      const ctx = CONTEXT.nino.test(contextBefore(text, m.index));
      out.push({ start: m.index, end: m.index + m[0].length, entity: 'uk_nino', score: ctx ? 0.95 : 0.75, reason: 'UK National Insurance number' });
    }
  }
  if (gates & GATE.nric) for (const m of text.matchAll(LETTER_ID.nric)) {
    if (singaporeNricValid(m[0])) out.push({ start: m.index, end: m.index + m[0].length, entity: 'sg_nric', score: 0.85, reason: 'Singapore NRIC/FIN (check letter)' });
  }
  if (gates & GATE.pan) for (const m of text.matchAll(LETTER_ID.pan)) {
    out.push({ start: m.index, end: m.index + m[0].length, entity: 'in_pan', score: 0.7, reason: 'Indian PAN (format)' });
  }
  if (gates & GATE.hetu) for (const m of text.matchAll(LETTER_ID.hetu)) {
    if (finnishIdValid(m[0])) out.push({ start: m.index, end: m.index + m[0].length, entity: 'fi_personal_id', score: 0.85, reason: 'Finnish personal identity code (mod-31)' });
  }
}

// ---------------------------------------------------------------- crypto wallets

function base58CheckValid(s: string): boolean {
  const bytes = base58Decode(s);
  if (!bytes || bytes.length < 5) return false;
  const body = bytes.subarray(0, bytes.length - 4);
  const sum = createHash('sha256').update(createHash('sha256').update(body).digest()).digest();
  for (let i = 0; i < 4; i++) if (sum[i] !== bytes[bytes.length - 4 + i]) return false;
  return true;
}

function findWallets(text: string, out: Candidate[]): void {
  for (const m of text.matchAll(/(?<![A-Za-z0-9])(?:[13][1-9A-HJ-NP-Za-km-z]{25,34}|(?:bc|tb)1[02-9ac-hj-np-z]{11,71}|0x[0-9a-fA-F]{40})(?![A-Za-z0-9])/g)) {
    const v = m[0];
    let ok = false;
    let what = '';
    if (v.startsWith('0x')) {
      ok = true;
      what = 'Ethereum address';
    } else if (/^(?:bc|tb)1/.test(v)) {
      ok = bech32Valid(v);
      what = 'Bitcoin bech32 address';
    } else {
      ok = base58CheckValid(v);
      what = 'Bitcoin base58check address';
    }
    if (ok) out.push({ start: m.index, end: m.index + v.length, entity: 'crypto_wallet', score: v.startsWith('0x') ? 0.7 : 0.9, reason: what });
  }
}

// ---------------------------------------------------------------- dates of birth

const MONTHS = 'jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?';
const WORD_DATE: WindowedPattern = {
  re: new RegExp(`(?<![\\p{L}\\p{N}])(?:[0-9]{1,2}(?:st|nd|rd|th)? (?:of )?(?:${MONTHS})\\.?,? [0-9]{4}|(?:${MONTHS})\\.? [0-9]{1,2}(?:st|nd|rd|th)?,? [0-9]{4})(?![\\p{L}\\p{N}])`, 'giu'),
  // "12th of september., 2024"; under /iu, ſ (U+017F) matches s and the Kelvin sign (U+212A) k.
  maxLength: 24,
  inMatch: (c) => isAlnum(c) || c === 0x20 || c === 0x2e || c === 0x2c || c === 0x17f || c === 0x212a,
};

const NUMERIC_DATE: WindowedPattern = {
  re: /(?<![0-9])(?:[0-9]{1,2}[/.-][0-9]{1,2}[/.-](?:[0-9]{4}|[0-9]{2})|[0-9]{4}-[0-9]{2}-[0-9]{2})(?![0-9])/g,
  maxLength: 10,
  inMatch: (c) => isDigit(c) || c === 0x2f || c === 0x2e || c === 0x2d,
};

/** Every word CONTEXT.dob knows holds one of these (matched at every position, overlaps too). */
const DOB_CUE = /b(?:orn|irth)|dob|d\.o\.b|geboren|né/gi;

/** `/`, `.` or `-`: a numeric date's separators. */
const isDateSeparator = (c: number): boolean => c === 47 || c === 46 || c === 45;
/** Longest cue DOB_CUE matches (`geboren`). */
const DOB_CUE_LENGTH = 7;

/**
 * Dates with a birth word in the 40 characters before them (contextBefore). Only the text just
 * after each cue is scanned: a system prompt that says "birth" once (OpenClaw's "Birth Sequence")
 * no longer sends both date patterns over all of it. Cues are looked for only where one can precede
 * a date: every date holds a digit run that places it (a year of 4 digits after a space ends a
 * written date of at most 24 characters; a numeric date starts with a run of 1-2 digits before `/`,
 * `.` or `-`, or of 4 before `-`), and its cue starts within 40 characters before it, so text far
 * from such runs (most of a long prompt) is not read for cues. The windows are those of the cues
 * found there, and matchesInWindows reports the whole-text matches that start in them: the same
 * dates as with every cue of the text.
 */
function findWordDatesOfBirth(text: string, out: Candidate[], runs: DigitRuns): void {
  const { starts, ends, count } = runs;
  const windows: [number, number][] = [];
  // Cue starts [lo, hi) to look at: merged, in text order.
  let lo = -1;
  let hi = -1;
  const scanCues = (): void => {
    const from = Math.max(0, lo);
    const slice = text.slice(from, Math.min(text.length, hi + DOB_CUE_LENGTH));
    DOB_CUE.lastIndex = 0;
    for (let m = DOB_CUE.exec(slice); m !== null; m = DOB_CUE.exec(slice)) {
      windows.push([from + m.index + m[0].length, from + m.index + 41]);
      DOB_CUE.lastIndex = m.index + 1;
    }
  };
  for (let r = 0; r < count; r++) {
    const s = starts[r]!;
    const e = ends[r]!;
    const len = e - s;
    const after = text.charCodeAt(e);
    let reach = 0;
    if (len === 4 && text.charCodeAt(s - 1) === 32) reach = 60;
    else if (((len <= 2 && isDateSeparator(after)) || (len === 4 && after === 45)) && isDigit(text.charCodeAt(e + 1))) reach = 40;
    if (reach === 0) continue;
    const from = s - reach;
    if (from > hi) {
      if (hi > lo) scanCues();
      lo = from;
    } else if (from < lo) lo = from;
    hi = s;
  }
  if (hi > lo) scanCues();
  DOB_CUE.lastIndex = 0;
  if (windows.length === 0) return;
  for (const pattern of [NUMERIC_DATE, WORD_DATE]) {
    for (const m of matchesInWindows(pattern, text, windows)) {
      if (CONTEXT.dob.test(contextBefore(text, m.index))) {
        out.push({ start: m.index, end: m.index + m[0].length, entity: 'date_of_birth', score: 0.85, reason: 'date of birth (by context)' });
      }
    }
  }
}

/** What one pass over the text tells about its digits: every scanner below needs some. */
export interface DigitProfile {
  /** ASCII digits in the text. */
  digits: number;
  /** Longest run of consecutive digits. */
  maxDigitRun: number;
  /** Longest run of ASCII letters and digits that holds a digit (wallet addresses, IBANs written without spaces). */
  maxAlnumRunWithDigit: number;
}

/** The profile and where each run of digits lies: `text[starts[r], ends[r])` for r < count, in text order. */
interface DigitRuns extends DigitProfile {
  count: number;
  starts: Int32Array;
  ends: Int32Array;
}

const DIGIT_RUN = /[0-9]+/g;
const isAsciiAlnum = (c: number): boolean => (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122);

/** The runs of the text being scanned (findStructured is synchronous and the only user), reused. */
const RUNS: DigitRuns = { digits: 0, maxDigitRun: 0, maxAlnumRunWithDigit: 0, count: 0, starts: new Int32Array(64), ends: new Int32Array(64) };

/** Runs scanDigits finds with indexOf before it hands the rest of the text to DIGIT_RUN. */
const SPARSE_RUNS = 4;
const DIGIT_CHARS = '0123456789';
/** Where each digit occurs next in the text being scanned (-1: nowhere after the runs found). */
const nextDigit = new Int32Array(10);

/**
 * Digit runs, recorded once for every scanner that starts at digits: the maximal runs of ASCII digits,
 * in text order. Prose has few: the first ones are found with one `indexOf` per digit (a memchr over
 * the text; about 1/7 of the regex engine's scan of 2 KB with a single run), each run read where the
 * earliest next digit lies and only the digits inside it looked up again; past SPARSE_RUNS runs the
 * text is dense with numbers and DIGIT_RUN (`test`, no match object) finds the rest.
 */
function scanDigits(text: string): DigitRuns {
  const runs = RUNS;
  runs.digits = 0;
  runs.maxDigitRun = 0;
  runs.maxAlnumRunWithDigit = 0;
  runs.count = 0;
  reachedEnd = 0;
  const n = text.length;
  for (let d = 0; d < 10; d++) nextDigit[d] = text.indexOf(DIGIT_CHARS[d]!);
  for (let found = 0; ; ) {
    let start = -1;
    for (let d = 0; d < 10; d++) {
      const at = nextDigit[d]!;
      if (at >= 0 && (start < 0 || at < start)) start = at;
    }
    if (start < 0) return runs;
    let end = start + 1;
    while (end < n && isDigit(text.charCodeAt(end))) end++;
    addRun(runs, text, start, end);
    if (++found === SPARSE_RUNS) {
      // text[end] is no digit: the regex finds the next run whole.
      DIGIT_RUN.lastIndex = end;
      break;
    }
    for (let d = 0; d < 10; d++) if (nextDigit[d]! >= 0 && nextDigit[d]! < end) nextDigit[d] = text.indexOf(DIGIT_CHARS[d]!, end);
  }
  while (DIGIT_RUN.test(text)) {
    const end = DIGIT_RUN.lastIndex;
    // The match is the whole run: the character before it is no digit (the scan started after a run).
    let start = end - 1;
    while (start > 0 && isDigit(text.charCodeAt(start - 1))) start--;
    addRun(runs, text, start, end);
  }
  return runs;
}

/** End of the last letters-and-digits run measured by addRun (in the text being scanned). */
let reachedEnd = 0;

/** Records the digit run `text[start, end)` and the letters-and-digits run around it. */
function addRun(runs: DigitRuns, text: string, start: number, end: number): void {
  const count = runs.count;
  if (count === runs.starts.length) {
    const starts = new Int32Array(count * 2);
    const ends = new Int32Array(count * 2);
    starts.set(runs.starts);
    ends.set(runs.ends);
    runs.starts = starts;
    runs.ends = ends;
  }
  runs.starts[count] = start;
  runs.ends[count] = end;
  runs.count = count + 1;
  const len = end - start;
  runs.digits += len;
  if (len > runs.maxDigitRun) runs.maxDigitRun = len;
  // The letters-and-digits run around it (once per run: a later digit run inside it is skipped).
  if (end <= reachedEnd) return;
  let a = start;
  while (a > 0 && isAsciiAlnum(text.charCodeAt(a - 1))) a--;
  let b = end;
  while (b < text.length && isAsciiAlnum(text.charCodeAt(b))) b++;
  reachedEnd = b;
  if (b - a > runs.maxAlnumRunWithDigit) runs.maxAlnumRunWithDigit = b - a;
}

/** The digit runs of a text as `[start, end)` pairs (scanDigits, for tests). */
export function digitRuns(text: string): [number, number][] {
  const { starts, ends, count } = scanDigits(text);
  return Array.from({ length: count }, (_, r) => [starts[r]!, ends[r]!]);
}

export function digitProfile(text: string): DigitProfile {
  const { digits, maxDigitRun, maxAlnumRunWithDigit } = scanDigits(text);
  return { digits, maxDigitRun, maxAlnumRunWithDigit };
}

/**
 * Every structured-PII candidate in `text`, unresolved (candidates may overlap). Each scanner is
 * skipped when the text cannot hold what it looks for (one pass records the digit runs first, and
 * the number scanners start from them): prose without numbers costs that pass plus the `@` and MAC
 * checks.
 */
export function findStructured(text: string): Candidate[] {
  const out: Candidate[] = [];
  if (text.includes('@')) findEmails(text, out);
  // MAC addresses may be all hex letters (`AA-BB-CC-DD-EE-FF`).
  if (macGate(text)) findMacs(text, out);
  const p = scanDigits(text);
  // IPv6 may be all hex letters too: a colon keeps it in.
  if (p.digits === 0 && !text.includes(':')) return out;
  findIps(text, out, p);
  // The shortest IBAN (Norway, 15) has 13 digits; IBANs with letters in the BBAN still carry 8 or more.
  if (p.digits >= 8) findIbans(text, out, p);
  // Dates (the shortest, `1/2/90`) need 4 digits; phones, cards, SSNs and IDs more.
  if (p.digits >= 4) findNumberRuns(text, out, p);
  if (p.maxDigitRun >= 2) findLetterIds(text, out, p);
  // Bitcoin (base58 from `1`/`3`, bech32 `bc1`) and Ethereum (`0x` + 40 hex) addresses: 14+ characters, a digit among them.
  if (p.maxAlnumRunWithDigit >= 14) findWallets(text, out);
  if (p.maxDigitRun >= 4) findWordDatesOfBirth(text, out, p);
  return out;
}
