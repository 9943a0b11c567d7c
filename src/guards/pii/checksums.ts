/** Check-digit algorithms for the identifiers the PII guard recognizes. All take digit strings. */

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** ISO 13616 mod-97 over an IBAN without spaces, upper case. */
export function ibanMod97Valid(iban: string): boolean {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let rem = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const c = rearranged.charCodeAt(i);
    if (c >= 48 && c <= 57) rem = (rem * 10 + (c - 48)) % 97;
    else if (c >= 65 && c <= 90) rem = (rem * 100 + (c - 55)) % 97;
    else return false;
  }
  return rem === 1;
}

const VERHOEFF_D = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
  [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
  [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const VERHOEFF_P = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
  [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
  [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
  [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/** Verhoeff (Aadhaar). */
export function verhoeffValid(digits: string): boolean {
  let c = 0;
  const n = digits.length;
  for (let i = 0; i < n; i++) {
    const d = digits.charCodeAt(n - 1 - i) - 48;
    if (d < 0 || d > 9) return false;
    c = VERHOEFF_D[c]![VERHOEFF_P[i % 8]![d]!]!;
  }
  return n > 0 && c === 0;
}

const DNI_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE';

/** Spanish DNI (8 digits + letter) and NIE (X/Y/Z + 7 digits + letter): letter = number mod 23. */
export function spanishIdValid(id: string): boolean {
  const s = id.toUpperCase();
  let num: string;
  if (/^[0-9]{8}[A-Z]$/.test(s)) num = s.slice(0, 8);
  else if (/^[XYZ][0-9]{7}[A-Z]$/.test(s)) num = String('XYZ'.indexOf(s[0]!)) + s.slice(1, 8);
  else return false;
  return DNI_LETTERS[Number(num) % 23] === s[8];
}

const CF_ODD: Record<string, number> = {};
{
  const odd = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];
  for (let i = 0; i < 10; i++) CF_ODD[String(i)] = odd[i]!;
  for (let i = 0; i < 26; i++) CF_ODD[String.fromCharCode(65 + i)] = odd[i]!;
}

/** Italian codice fiscale (16 characters, check letter from odd/even position tables). */
export function italianFiscalCodeValid(code: string): boolean {
  const s = code.toUpperCase();
  if (!/^[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-EHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$/.test(s)) return false;
  let sum = 0;
  for (let i = 0; i < 15; i++) {
    const ch = s[i]!;
    if (i % 2 === 0) sum += CF_ODD[ch]!;
    else sum += ch >= '0' && ch <= '9' ? ch.charCodeAt(0) - 48 : ch.charCodeAt(0) - 65;
  }
  return String.fromCharCode(65 + (sum % 26)) === s[15];
}

/** UK National Insurance number: two prefix letters (with exclusions), six digits, suffix A-D. */
export function ukNinoValid(nino: string): boolean {
  const s = nino.replace(/ /g, '').toUpperCase();
  if (!/^[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]$/.test(s)) return false;
  const prefix = s.slice(0, 2);
  return !['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ'].includes(prefix);
}

/** US SSN structure: area not 000, 666 or 9xx; group not 00; serial not 0000. */
export function usSsnValid(digits: string): boolean {
  if (!/^[0-9]{9}$/.test(digits)) return false;
  const area = digits.slice(0, 3);
  if (area === '000' || area === '666' || area[0] === '9') return false;
  if (digits.slice(3, 5) === '00' || digits.slice(5) === '0000') return false;
  return !/^(\d)\1{8}$/.test(digits) && digits !== '123456789';
}

/** Finnish henkilötunnus: DDMMYY, century sign, 3-digit individual number, mod-31 check character. */
export function finnishIdValid(id: string): boolean {
  const s = id.toUpperCase();
  const m = /^([0-9]{6})([-+A-FU-Y])([0-9]{3})([0-9A-Y])$/.exec(s);
  if (!m) return false;
  const chars = '0123456789ABCDEFHJKLMNPRSTUVWXY';
  return chars[Number(m[1]! + m[3]!) % 31] === m[4];
}

/** Polish PESEL: 11 digits with weighted check digit. */
export function peselValid(digits: string): boolean {
  if (!/^[0-9]{11}$/.test(digits)) return false;
  const w = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3];
  let sum = 0;
  for (let i = 0; i < 10; i++) sum += w[i]! * (digits.charCodeAt(i) - 48);
  return (10 - (sum % 10)) % 10 === digits.charCodeAt(10) - 48;
}

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** Base58 decode; undefined on a bad character. */
export function base58Decode(s: string): Uint8Array | undefined {
  let n = 0n;
  for (const ch of s) {
    const v = B58.indexOf(ch);
    if (v < 0) return undefined;
    n = n * 58n + BigInt(v);
  }
  const bytes: number[] = [];
  while (n > 0n) {
    bytes.unshift(Number(n & 0xffn));
    n >>= 8n;
  }
  for (const ch of s) {
    if (ch !== '1') break;
    bytes.unshift(0);
  }
  return Uint8Array.from(bytes);
}

const BECH32_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';

/** Bech32 / bech32m checksum (BIP-173 / BIP-350) over a lower-case string like `bc1q…`. */
export function bech32Valid(s: string): boolean {
  const lower = s.toLowerCase();
  if (lower !== s && s.toUpperCase() !== s) return false;
  const sep = lower.lastIndexOf('1');
  if (sep < 1 || sep + 7 > lower.length) return false;
  const hrp = lower.slice(0, sep);
  const values: number[] = [];
  for (const ch of lower.slice(sep + 1)) {
    const v = BECH32_CHARSET.indexOf(ch);
    if (v < 0) return false;
    values.push(v);
  }
  const GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  let chk = 1;
  const expanded = [...[...hrp].map((c) => c.charCodeAt(0) >> 5), 0, ...[...hrp].map((c) => c.charCodeAt(0) & 31), ...values];
  for (const v of expanded) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GEN[i]!;
  }
  return chk === 1 || chk === 0x2bc830a3;
}

function validDate(yy: string, mm: string, dd: string): boolean {
  const m = Number(mm);
  const d = Number(dd);
  return /^[0-9]{2}$/.test(yy) && m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

/** Swedish personnummer `YYMMDD-NNNC` (or `YYYYMMDD-NNNC`): date plus Luhn over the last ten digits. */
export function swedishPersonnummerValid(id: string): boolean {
  const m = /^(?:[0-9]{2})?([0-9]{2})([0-9]{2})([0-9]{2})[-+]?([0-9]{4})$/.exec(id);
  if (!m) return false;
  const day = Number(m[3]) > 60 ? String(Number(m[3]) - 60).padStart(2, '0') : m[3]!; // samordningsnummer
  return validDate(m[1]!, m[2]!, day) && luhnValid(m[1]! + m[2]! + m[3]! + m[4]!);
}

/** South African ID: YYMMDD, 4 digits, citizenship 0/1, one digit, Luhn check digit. */
export function southAfricanIdValid(digits: string): boolean {
  return /^[0-9]{13}$/.test(digits) && validDate(digits.slice(0, 2), digits.slice(2, 4), digits.slice(4, 6)) && /[01]/.test(digits[10]!) && luhnValid(digits);
}

/** Turkish T.C. Kimlik No: 11 digits, first not 0, two check digits. */
export function turkishIdValid(digits: string): boolean {
  if (!/^[1-9][0-9]{10}$/.test(digits)) return false;
  const d = [...digits].map(Number);
  const odd = d[0]! + d[2]! + d[4]! + d[6]! + d[8]!;
  const even = d[1]! + d[3]! + d[5]! + d[7]!;
  if ((((odd * 7 - even) % 10) + 10) % 10 !== d[9]) return false;
  return d.slice(0, 10).reduce((a, b) => a + b, 0) % 10 === d[10];
}

/** UK NHS number: 10 digits, weights 10..2, mod 11 check digit. */
export function ukNhsValid(digits: string): boolean {
  if (!/^[0-9]{10}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(digits[i]) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 10) return false;
  return (check === 11 ? 0 : check) === Number(digits[9]);
}

/** Singapore NRIC/FIN (S, T, F, G series): weighted sum of 7 digits, check letter. */
export function singaporeNricValid(id: string): boolean {
  const s = id.toUpperCase();
  const m = /^([STFG])([0-9]{7})([A-Z])$/.exec(s);
  if (!m) return false;
  const w = [2, 7, 6, 5, 4, 3, 2];
  let sum = 0;
  for (let i = 0; i < 7; i++) sum += Number(m[2]![i]) * w[i]!;
  if (m[1] === 'T' || m[1] === 'G') sum += 4;
  const letters = m[1] === 'S' || m[1] === 'T' ? 'JZIHGFEDCBA' : 'XWUTRQPNMLK';
  return letters[sum % 11] === m[3];
}

/** Korean resident registration number: YYMMDD-GNNNNNC; `checksum` tells whether the pre-2020 check digit holds. */
export function koreanRrnShape(id: string): { valid: boolean; checksum: boolean } {
  const m = /^([0-9]{2})([0-9]{2})([0-9]{2})-?([1-8])([0-9]{6})$/.exec(id);
  if (!m || !validDate(m[1]!, m[2]!, m[3]!)) return { valid: false, checksum: false };
  const digits = id.replace('-', '');
  const w = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5];
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(digits[i]) * w[i]!;
  return { valid: true, checksum: (11 - (sum % 11)) % 10 === Number(digits[12]) };
}
