import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { type CountryCode, parsePhoneNumberFromString } from './phone-numbers.js';
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
/** Letters and digits of any script: a value glued to one of these is part of a longer word. */
const isWordChar = (ch: string | undefined): boolean => ch !== undefined && /[\p{L}\p{N}_]/u.test(ch);

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

const LOCAL_CHARS = /[A-Za-z0-9._%+\-]/;
const DOMAIN_CHARS = /[A-Za-z0-9.\-]/;

function findEmails(text: string, out: Candidate[]): void {
  let at = text.indexOf('@');
  while (at >= 0) {
    let s = at;
    while (s > 0 && at - s < 64 && LOCAL_CHARS.test(text[s - 1]!)) s--;
    let e = at + 1;
    while (e < text.length && e - at < 255 && DOMAIN_CHARS.test(text[e]!)) e++;
    while (e > at + 1 && (text[e - 1] === '.' || text[e - 1] === '-')) e--;
    while (s < at && text[s] === '.') s++;
    const domain = text.slice(at + 1, e);
    const lastDot = domain.lastIndexOf('.');
    const tld = lastDot > 0 ? domain.slice(lastDot + 1) : '';
    if (s < at && lastDot > 0 && /^(?:[A-Za-z]{2,24}|xn--[a-z0-9-]{2,59})$/.test(tld) && !domain.includes('..') && !text.slice(s, at).includes('..')) {
      out.push({ start: s, end: e, entity: 'email', score: 0.95, reason: 'email address' });
    }
    at = text.indexOf('@', Math.max(e, at + 1));
  }
}

// ---------------------------------------------------------------- IP, MAC

function findIps(text: string, out: Candidate[]): void {
  // IPv4 (optionally with a CIDR suffix) and IPv6 (with zone or CIDR): scan tokens of hex digits, dots, colons.
  const n = text.length;
  const seed = /[0-9]\.[0-9]|:[0-9A-Fa-f]{0,4}:/g;
  let i = 0;
  while (i < n) {
    seed.lastIndex = i;
    const found = seed.exec(text);
    if (!found) break;
    const k = found.index;
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

function findIbans(text: string, out: Candidate[]): void {
  const n = text.length;
  const seed = /[A-Za-z]{2}[0-9]{2}/g;
  let m: RegExpExecArray | null;
  while ((m = seed.exec(text)) !== null) {
    const i = m.index;
    if (i > 0 && isWordChar(text[i - 1])) continue;
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
    seed.lastIndex = j;
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
  return CARD_ISSUERS.some(([re, lens]) => re.test(digits) && lens.includes(digits.length));
}

const PHONE_COUNTRIES: CountryCode[] = ['US', 'GB', 'DE', 'FR', 'ES', 'IT', 'NL', 'IN', 'BR', 'JP', 'CN', 'AU'];

/**
 * Countries whose national numbering plan allows this digit string (trunk prefix, length), so that
 * only a few full validations run per candidate: each costs ~15 µs.
 */
function plausibleCountries(digits: string): CountryCode[] {
  const n = digits.length;
  const d0 = digits[0]!;
  if (d0 === '0') {
    return PHONE_COUNTRIES.filter((c) => {
      switch (c) {
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
    });
  }
  return PHONE_COUNTRIES.filter((c) => {
    switch (c) {
      case 'US': return (n === 10 && d0 >= '2') || (n === 11 && d0 === '1');
      case 'ES': return n === 9 && d0 >= '6';
      case 'IT': return d0 === '3' && (n === 9 || n === 10);
      case 'IN': return n === 10 && d0 >= '6';
      case 'BR': return n === 10 || n === 11;
      case 'CN': return n === 11 && d0 === '1';
      case 'DE': case 'GB': case 'FR': case 'NL': case 'AU': case 'JP': return n >= 7 && n <= 9;
      default: return false;
    }
  });
}

/** A number followed on the same line by a capitalized word or a street word is a house number. */
const STREET_AFTER = /^ (?:\p{Lu}\p{Ll}|(?:[Rr]ue|[Ss]treet|[Ss]t|[Aa]venue|[Aa]ve|[Rr]oad|[Rr]d|[Ll]ane|[Dd]rive|[Vv]ia|[Cc]alle|[Ss]tr)\b)/u;

function phoneScore(run: string, digits: string, before: string, after: string, rawAfter: string): number {
  const context = CONTEXT.phone.test(before.slice(-28)) || CONTEXT.phoneAfter.test(after);
  const grouped = /[ \-.()]/.test(run);
  if (run.startsWith('+')) {
    const p = parsePhoneNumberFromString(run, { extract: false });
    if (p?.isValid()) return 0.9;
    if (p?.isPossible()) return context ? 0.85 : 0.6;
    return context && digits.length >= 8 ? 0.6 : 0;
  }
  if (digits.length < 7 || digits.length > 13) return 0;
  if (!context && (CONTEXT.notPhone.test(before) || STREET_AFTER.test(rawAfter))) return 0;
  let valid = false;
  for (const country of plausibleCountries(digits)) {
    if (parsePhoneNumberFromString(run, { defaultCountry: country, extract: false })?.isValid()) {
      valid = true;
      break;
    }
  }
  if (valid) return context ? 0.9 : grouped ? 0.7 : 0.5;
  if (context && grouped) return 0.75;
  if (context && digits.length >= 8) return 0.6;
  return 0;
}

const DATE_LIKE = /^(?:[0-9]{4}[-./][0-9]{1,2}[-./][0-9]{1,2}|[0-9]{1,2}[-./][0-9]{1,2}[-./](?:[0-9]{4}|[0-9]{2}))$/;

function classifyRun(text: string, start: number, end: number, out: Candidate[], allowPhone = true): boolean {
  // A value in parentheses, `(078-05-1120)`: judge what is inside, unless it is a phone's area code.
  if (text[start] === '(' && text[end - 1] === ')' && !/[()]/.test(text.slice(start + 1, end - 1)) && classifyRun(text, start + 1, end - 1, out, false)) return true;
  const run = text.slice(start, end);
  const digits = run.replace(/[^0-9]/g, '');
  const before = contextBefore(text, start);
  const after = contextAfter(text, end);
  const seps = run.replace(/[0-9+]/g, '');
  const uniformSeps = /^[ ]*$|^-*$/.test(seps);

  if (/^[0-9]{4}-[0-9]{2}-[0-9]{2}/.test(run) || (text[end] === ':' && isDigit(text.charCodeAt(end + 1)))) return true;
  if (DATE_LIKE.test(run)) {
    if (CONTEXT.dob.test(before)) out.push({ start, end, entity: 'date_of_birth', score: 0.85, reason: 'date of birth (by context)' });
    return true;
  }

  // US SSN: 3-2-4 with one kind of separator, or 9 bare digits with context.
  if (/^[0-9]{3}([- ])[0-9]{2}\1[0-9]{4}$|^[0-9]{9}$/.test(run) && usSsnValid(digits)) {
    const ctx = CONTEXT.ssn.test(before);
    const score = run.length === 11 ? (ctx ? 0.95 : 0.75) : ctx ? 0.85 : 0;
    if (score > 0) {
      out.push({ start, end, entity: 'us_ssn', score, reason: ctx ? 'US SSN with context' : 'US SSN format' });
      return true;
    }
  }

  // Payment cards: Luhn plus an issuer range; without an issuer match only next to card words.
  if (uniformSeps && digits.length >= 12 && digits.length <= 19 && !run.startsWith('+') && luhnValid(digits) && !/^0+$/.test(digits)) {
    const ctx = CONTEXT.card.test(before);
    const issuer = cardIssuerMatches(digits);
    const score = issuer ? (ctx ? 0.98 : digits.length >= 15 ? 0.9 : 0.7) : ctx ? 0.85 : 0;
    if (score > 0 && !(CONTEXT.aadhaar.test(before) && digits.length === 12)) {
      out.push({ start, end, entity: 'credit_card', score, reason: `payment card number (Luhn${issuer ? ', issuer range' : ''}${ctx ? ', context' : ''})` });
      return true;
    }
  }

  // Aadhaar: 12 digits, first 2-9, Verhoeff.
  if (/^[2-9][0-9]{3}([ -]?)[0-9]{4}\1[0-9]{4}$/.test(run) && verhoeffValid(digits)) {
    const ctx = CONTEXT.aadhaar.test(before);
    out.push({ start, end, entity: 'in_aadhaar', score: ctx ? 0.95 : 0.6, reason: 'Aadhaar number (Verhoeff)' });
    return true;
  }

  // Canadian SIN: 9 digits in 3-3-3, Luhn, only with context (too many 9-digit numbers otherwise).
  if (/^[1-79][0-9]{2}([ -]?)[0-9]{3}\1[0-9]{3}$/.test(run) && luhnValid(digits) && CONTEXT.sin.test(before)) {
    out.push({ start, end, entity: 'ca_sin', score: 0.85, reason: 'Canadian SIN (Luhn, context)' });
    return true;
  }

  // US ITIN: area 9xx, group in the ITIN ranges.
  if (/^9[0-9]{2}([- ])(?:5[0-9]|6[0-5]|7[0-9]|8[0-8]|9[0-2]|9[4-9])\1[0-9]{4}$/.test(run)) {
    out.push({ start, end, entity: 'us_itin', score: 0.85, reason: 'US ITIN' });
    return true;
  }
  const seShape = /^(?:1[89]|20)?[0-9]{6}[-+][0-9]{4}$/.test(run) || (/^(?:1[89]|20)?[0-9]{10}$/.test(run) && CONTEXT.sePnr.test(before));
  if (seShape && swedishPersonnummerValid(run)) {
    out.push({ start, end, entity: 'se_personnummer', score: 0.85, reason: 'Swedish personnummer (date, Luhn)' });
    return true;
  }
  if (/^[0-9]{6}-[1-8][0-9]{6}$/.test(run) || (/^[0-9]{6}[1-8][0-9]{6}$/.test(run) && CONTEXT.krRrn.test(before))) {
    const rrn = koreanRrnShape(run);
    if (rrn.valid) {
      out.push({ start, end, entity: 'kr_rrn', score: rrn.checksum ? 0.85 : 0.6, reason: 'Korean resident registration number' });
      return true;
    }
  }
  if (/^[0-9]{13}$/.test(run) && southAfricanIdValid(digits)) {
    out.push({ start, end, entity: 'za_id', score: 0.75, reason: 'South African ID number (date, Luhn)' });
    return true;
  }
  if (/^[1-9][0-9]{10}$/.test(run) && turkishIdValid(digits)) {
    out.push({ start, end, entity: 'tr_national_id', score: CONTEXT.tckn.test(before) ? 0.9 : 0.6, reason: 'Turkish national ID (two check digits)' });
    return true;
  }
  if (/^[0-9]{3}([ -]?)[0-9]{3}\1[0-9]{4}$/.test(run) && ukNhsValid(digits) && CONTEXT.nhs.test(before)) {
    out.push({ start, end, entity: 'uk_nhs', score: 0.85, reason: 'UK NHS number (mod 11, context)' });
    return true;
  }
  if (/^[0-9]{11}$/.test(run) && peselValid(digits) && CONTEXT.pesel.test(before)) {
    out.push({ start, end, entity: 'pl_pesel', score: 0.9, reason: 'PESEL with context' });
    return true;
  }

  const score = allowPhone ? phoneScore(run, digits, before, after, text.slice(end, end + 12)) : 0;
  if (score > 0) {
    const ext = /^(?:x|(?: ?ext\.? ?))[0-9]{1,5}(?![0-9])/i.exec(text.slice(end, end + 10));
    out.push({ start, end: ext ? end + ext[0].length : end, entity: 'phone', score, reason: 'phone number' });
    return true;
  }
  return false;
}

/**
 * Finds runs of digits with phone-style separators (`+44 (0)20 7946-0958`, `4111 1111 1111 1111`) and
 * classifies each; a run that is nothing as a whole is retried as its longest valid group windows.
 */
function findNumberRuns(text: string, out: Candidate[]): void {
  const n = text.length;
  const seed = /[+(]?[0-9]/g;
  let i = 0;
  while (i < n) {
    seed.lastIndex = i;
    const m = seed.exec(text);
    if (!m) break;
    i = m.index;
    const c = text.charCodeAt(i);
    const opensRun = isDigit(c) || ((c === 43 || c === 40) && isDigit(text.charCodeAt(i + 1))) || (c === 43 && text[i + 1] === '(');
    if (!opensRun || (i > 0 && (isWordChar(text[i - 1]) || text[i - 1] === '.' || text[i - 1] === '/' || text[i - 1] === '-' || text[i - 1] === '+'))) {
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
    if (text[end] === ')' && text.slice(i, end).includes('(')) end++;
    const next = text[end];
    if (isWordChar(next) && !/^x[0-9]/.test(text.slice(end, end + 2))) {
      i = end;
      continue;
    }
    if (!classifyRun(text, i, end, out)) {
      // A run of several values (`10.0.0.1 4111 1111 1111 1111 12 25`): cover it left to right with the
      // longest group windows that classify, each starting and ending at a space-separated boundary.
      const groups: [number, number][] = [];
      for (const m of text.slice(i, end).matchAll(/\+?[0-9]+/g)) groups.push([i + m.index, i + m.index + m[0].length]);
      // Cards, SSNs and IDs first, phones only in what is left (a phone window would otherwise eat a card's first group).
      const covered = new Array<boolean>(groups.length).fill(false);
      for (const allowPhone of [false, true]) {
        let g = 0;
        while (g < groups.length) {
          let advanced = false;
          const s0 = groups[g]![0];
          if (!covered[g] && (g === 0 || /\s/.test(text[s0 - 1] ?? ''))) {
            for (let size = Math.min(groups.length - g, 6); size >= 1; size--) {
              if (covered.slice(g, g + size).some(Boolean)) continue;
              const e = groups[g + size - 1]![1];
              if (g + size < groups.length && !/\s/.test(text[e] ?? '')) continue;
              if (classifyRun(text, s0, e, out, allowPhone)) {
                covered.fill(true, g, g + size);
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

function findLetterIds(text: string, out: Candidate[], p: DigitProfile): void {
  if (p.maxDigitRun >= 7) for (const m of text.matchAll(/(?<![\p{L}\p{N}])(?:[0-9]{8}|[XYZxyz][0-9]{7})-?[A-Za-z](?![\p{L}\p{N}])/gu)) {
    if (spanishIdValid(m[0].replace('-', ''))) {
      const nie = /^[XYZxyz]/.test(m[0]);
      out.push({ start: m.index, end: m.index + m[0].length, entity: nie ? 'es_nie' : 'es_nif', score: 0.85, reason: `Spanish ${nie ? 'NIE' : 'DNI/NIF'} (mod-23 letter)` });
    }
  }
  if (FISCAL_GATE.test(text)) for (const m of text.matchAll(/(?<![\p{L}\p{N}])[A-Za-z]{6}[0-9LMNPQRSTUVlmnpqrstuv]{2}[A-Za-z][0-9LMNPQRSTUVlmnpqrstuv]{2}[A-Za-z][0-9LMNPQRSTUVlmnpqrstuv]{3}[A-Za-z](?![\p{L}\p{N}])/gu)) {
    if (italianFiscalCodeValid(m[0])) out.push({ start: m.index, end: m.index + m[0].length, entity: 'it_fiscal_code', score: 0.9, reason: 'Italian codice fiscale (check letter)' });
  }
  if (p.digits >= 6) for (const m of text.matchAll(/(?<![\p{L}\p{N}])[A-Za-z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-Da-d](?![\p{L}\p{N}])/gu)) {
    if (ukNinoValid(m[0])) {
      const ctx = CONTEXT.nino.test(contextBefore(text, m.index));
      out.push({ start: m.index, end: m.index + m[0].length, entity: 'uk_nino', score: ctx ? 0.95 : 0.75, reason: 'UK National Insurance number' });
    }
  }
  if (p.maxDigitRun >= 7) for (const m of text.matchAll(/(?<![\p{L}\p{N}])[STFGstfg][0-9]{7}[A-Za-z](?![\p{L}\p{N}])/gu)) {
    if (singaporeNricValid(m[0])) out.push({ start: m.index, end: m.index + m[0].length, entity: 'sg_nric', score: 0.85, reason: 'Singapore NRIC/FIN (check letter)' });
  }
  if (p.maxDigitRun >= 4) for (const m of text.matchAll(/(?<![\p{L}\p{N}])[A-Z]{3}[ABCFGHLJPT][A-Z][0-9]{4}[A-Z](?![\p{L}\p{N}])/gu)) {
    out.push({ start: m.index, end: m.index + m[0].length, entity: 'in_pan', score: 0.7, reason: 'Indian PAN (format)' });
  }
  if (p.maxDigitRun >= 6) for (const m of text.matchAll(/(?<![\p{L}\p{N}])[0-9]{6}[-+A-FU-Ya-fu-y][0-9]{3}[0-9A-Ya-y](?![\p{L}\p{N}])/gu)) {
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

/**
 * Dates with a birth word in the 40 characters before them (contextBefore). Only the text just
 * after each cue is scanned: a system prompt that says "birth" once (OpenClaw's "Birth Sequence")
 * no longer sends both date patterns over all of it.
 */
function findWordDatesOfBirth(text: string, out: Candidate[]): void {
  const windows: [number, number][] = [];
  DOB_CUE.lastIndex = 0;
  for (let m = DOB_CUE.exec(text); m !== null; m = DOB_CUE.exec(text)) {
    windows.push([m.index + m[0].length, m.index + 41]);
    DOB_CUE.lastIndex = m.index + 1;
  }
  if (windows.length === 0) return;
  for (const pattern of [NUMERIC_DATE, WORD_DATE]) {
    for (const m of matchesInWindows(pattern, text, windows)) {
      if (CONTEXT.dob.test(contextBefore(text, m.index))) {
        out.push({ start: m.index, end: m.index + m[0].length, entity: 'date_of_birth', score: 0.85, reason: 'date of birth (by context)' });
      }
    }
  }
}

/** Every structured-PII candidate in `text`, unresolved (candidates may overlap). */
/** What one pass over the text tells about its digits: every scanner below needs some. */
export interface DigitProfile {
  /** ASCII digits in the text. */
  digits: number;
  /** Longest run of consecutive digits. */
  maxDigitRun: number;
  /** Longest run of ASCII letters and digits that holds a digit (wallet addresses, IBANs written without spaces). */
  maxAlnumRunWithDigit: number;
}

const DIGIT_RUN = /[0-9]+/g;
const isAsciiAlnum = (c: number): boolean => (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122);

/** Digit runs found by the regex engine (several times faster than a JS loop over every character). */
export function digitProfile(text: string): DigitProfile {
  let digits = 0;
  let maxDigitRun = 0;
  let maxAlnumRunWithDigit = 0;
  let reachedEnd = 0;
  DIGIT_RUN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = DIGIT_RUN.exec(text)) !== null) {
    const start = m.index;
    const len = m[0].length;
    digits += len;
    if (len > maxDigitRun) maxDigitRun = len;
    // The letters-and-digits run around it (once per run: a later digit run inside it is skipped).
    if (start + len <= reachedEnd) continue;
    let a = start;
    while (a > 0 && isAsciiAlnum(text.charCodeAt(a - 1))) a--;
    let b = start + len;
    while (b < text.length && isAsciiAlnum(text.charCodeAt(b))) b++;
    reachedEnd = b;
    if (b - a > maxAlnumRunWithDigit) maxAlnumRunWithDigit = b - a;
  }
  return { digits, maxDigitRun, maxAlnumRunWithDigit };
}

/**
 * Every structured scanner, each skipped when the text cannot hold what it looks for (one linear
 * pass counts digits first): prose without numbers costs one scan plus the e-mail check.
 */
export function findStructured(text: string): Candidate[] {
  const out: Candidate[] = [];
  if (text.includes('@')) findEmails(text, out);
  // MAC addresses may be all hex letters (`AA-BB-CC-DD-EE-FF`).
  if (MAC_GATE.test(text)) findMacs(text, out);
  const p = digitProfile(text);
  // IPv6 may be all hex letters too: a colon keeps it in.
  if (p.digits === 0 && !text.includes(':')) return out;
  findIps(text, out);
  // The shortest IBAN (Norway, 15) has 13 digits; IBANs with letters in the BBAN still carry 8 or more.
  if (p.digits >= 8) findIbans(text, out);
  // Dates (the shortest, `1/2/90`) need 4 digits; phones, cards, SSNs and IDs more.
  if (p.digits >= 4) findNumberRuns(text, out);
  if (p.maxDigitRun >= 2) findLetterIds(text, out, p);
  // Bitcoin (base58 from `1`/`3`, bech32 `bc1`) and Ethereum (`0x` + 40 hex) addresses: 14+ characters, a digit among them.
  if (p.maxAlnumRunWithDigit >= 14) findWallets(text, out);
  if (p.maxDigitRun >= 4) findWordDatesOfBirth(text, out);
  return out;
}
