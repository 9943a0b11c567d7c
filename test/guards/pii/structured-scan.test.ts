import { describe, expect, it } from 'vitest';
import { detectPii, PII_ENTITIES, piiConfigSchema } from '../../../src/guards/pii/index.js';
import { GUARDRAILS_SAMPLE } from '../../../src/bench/pipeline-texts.js';

// Every structured entity (the name tagger off: these tests are about the scanners that start at digits).
const config = piiConfigSchema.parse({ entities: PII_ENTITIES.filter((e) => !['person', 'location', 'address'].includes(e)) });

function found(text: string): [string, string, number][] {
  return detectPii(text, config).map((c) => [c.entity, text.slice(c.start, c.end), c.score]);
}

/**
 * The scanners start from one pass over the digit runs (phones, cards and IDs from the runs, IPv4 and
 * IBAN seeds from the characters around them, letter IDs and dates of birth only where a run of their
 * length is). Each row was recorded with the scanners before that change, which ran their own regex
 * over the whole text: a pre-scan that dropped a candidate (a run at the text's start or end, after a
 * `+` or `(`, next to letters) would change a row.
 */
const ROWS: [string, [string, string, number][]][] = [
  // Phones with +, parentheses, dots, spaces, extensions.
  ['call +1 (303) 555-0178 now', [['phone', '+1 (303) 555-0178', 0.9]]],
  ['office +44 (0)20 7946-0958', [['phone', '+44 (0)20 7946-0958', 0.9]]],
  ['tel +(44) 20 7946 0958', [['phone', '44) 20 7946 0958', 0.75]]],
  ['(415)555-0132', [['phone', '(415)555-0132', 0.7]]],
  ['my cell 415.555.0132', [['phone', '415.555.0132', 0.9]]],
  ['fax 415 555 0132', [['phone', '415 555 0132', 0.9]]],
  ['Paris +33 1 42 68 53 00', [['phone', '+33 1 42 68 53 00', 0.9]]],
  ['Berlin +49-30-901820', [['phone', '+49-30-901820', 0.9]]],
  ['dial 0044 20 7946 0958', [['phone', '0044 20 7946', 0.75]]],
  ['desk +1-212-555-0199 ext. 12', [['phone', '+1-212-555-0199 ext. 12', 0.9]]],
  ['Fax: 463-612-6138x036', [['phone', '463-612-6138x036', 0.9]]],
  ['ring +447911123456.', [['phone', '+447911123456', 0.9]]],
  ['call (0)20 7946 0958', [['phone', '(0)20 7946 0958', 0.9]]],
  ['+1 212 555 0199', [['phone', '+1 212 555 0199', 0.9]]],
  ['+12125550199', [['phone', '+12125550199', 0.9]]],
  ['++12125550199', []],
  ['+ 1 212 555 0199', [['phone', '1 212 555 0199', 0.7]]],
  ['x+12125550199', []],
  // At the start, at the end, the whole text.
  ['4155550132 is my number', [['phone', '4155550132', 0.5]]],
  ['my number: 415-555-0132', [['phone', '415-555-0132', 0.7]]],
  ['(415) 555-0132', [['phone', '(415) 555-0132', 0.7]]],
  ['+1 212-555-0199', [['phone', '+1 212-555-0199', 0.9]]],
  ['415-555-0132.', [['phone', '415-555-0132', 0.7]]],
  ['(303) 555-0178)', [['phone', '(303) 555-0178)', 0.7]]],
  ['((303) 555-0178', [['phone', '(303) 555-0178', 0.7]]],
  // Next to letters, digits of other scripts and other glue.
  ['abc4155550132', []],
  ['4155550132abc', []],
  ['tel:4155550132', [['phone', '4155550132', 0.9]]],
  ['id-4155550132', []],
  ['v4155550132', []],
  ['#4155550132', []],
  ['a+14155550132', []],
  ['1.4155550132', [['phone', '1.4155550132', 0.7]]],
  ['/4155550132', []],
  ['é4155550132', []],
  ['٣4155550132', []],
  ['4155550132٣', []],
  ['4155550132x12', [['phone', '4155550132x12', 0.5]]],
  ['4155550132xy', []],
  // Cards, SSNs, national IDs; runs of several values (the group-window fallback).
  ['card 4111 1111 1111 1111 exp 12/29', [['credit_card', '4111 1111 1111 1111', 0.98]]],
  ['10.0.0.1 4111 1111 1111 1111 12 25', [['ip_address', '10.0.0.1', 0.9], ['credit_card', '4111 1111 1111 1111', 0.9]]],
  ['SSN (078-05-1120) and 536-22-1234', [['us_ssn', '078-05-1120', 0.95], ['us_ssn', '536-22-1234', 0.95]]],
  ['social security number 536221234', [['us_ssn', '536221234', 0.85]]],
  ['amex 3782 822463 10005 and 5500-0000-0000-0004', [['credit_card', '3782 822463 10005', 0.98], ['credit_card', '5500-0000-0000-0004', 0.98]]],
  ['aadhaar 2345 6789 0124', [['in_aadhaar', '2345 6789 0124', 0.95]]],
  ['SIN 046 454 286', [['phone', '046 454 286', 0.7]]],
  ['ITIN 912-70-1234', [['us_itin', '912-70-1234', 0.85]]],
  ['personnummer 811218-9876', [['se_personnummer', '811218-9876', 0.85]]],
  ['RRN 800101-1234567', [['kr_rrn', '800101-1234567', 0.6]]],
  ['ZA 8001015009087', [['za_id', '8001015009087', 0.75]]],
  ['TC 10000000146', [['tr_national_id', '10000000146', 0.9]]],
  ['NHS 943 476 5919', [['uk_nhs', '943 476 5919', 0.85]]],
  ['PESEL 44051401359', [['pl_pesel', '44051401359', 0.9]]],
  ['4111 1111 1111 1111 5500 0000 0000 0004', [['credit_card', '4111 1111 1111 1111', 0.9], ['credit_card', '5500 0000 0000 0004', 0.9]]],
  ['+1 212 555 0199 4111 1111 1111 1111', [['phone', '+1 212 555 0199', 0.9], ['credit_card', '4111 1111 1111 1111', 0.9]]],
  ['1 2 3 4 5 6 7 8 9 10 11 12', [['phone', '5 6 7 8 9 10', 0.7]]],
  ['12 34 56 78 90 12 34 56 78', [['credit_card', '56 78 90 12 34 56', 0.7]]],
  ['536-22-1234 415-555-0132', [['us_ssn', '536-22-1234', 0.75], ['phone', '415-555-0132', 0.7]]],
  ['536 22 1234 (415) 555 0132', [['us_ssn', '536 22 1234', 0.75], ['phone', '555 0132', 0.7]]],
  // IP and MAC addresses (IPv6 seeds are colons, hex letters only too).
  ['ip 10.0.0.1', [['ip_address', '10.0.0.1', 0.9]]],
  ['10.0.0.1 is up', [['ip_address', '10.0.0.1', 0.9]]],
  ['host 192.168.1.1/24.', [['ip_address', '192.168.1.1/24', 0.9]]],
  ['v1.2.3.4 release', []],
  ['fe80::1%eth0 and ::1 and [2001:db8::1]', [['ip_address', 'fe80::1%eth0', 0.9], ['ip_address', '::1', 0.9], ['ip_address', '2001:db8::1', 0.9]]],
  ['a:b:c::d', [['ip_address', 'a:b:c::d', 0.9]]],
  ['at 12:30:45 today', []],
  ['abcd:ef01::1', [['ip_address', 'abcd:ef01::1', 0.9]]],
  ['x10.0.0.1', []],
  ['10.0.0.1.5', []],
  ['mac 00:1A:2B:3C:4D:5E', [['mac_address', '00:1A:2B:3C:4D:5E', 0.85]]],
  ['mac 001a.2b3c.4d5e', [['mac_address', '001a.2b3c.4d5e', 0.85]]],
  ['AA-BB-CC-DD-EE-FF', [['mac_address', 'AA-BB-CC-DD-EE-FF', 0.85]]],
  ['23:00-08:00', []],
  // IBANs and the IDs with letters.
  ['pay GB82 WEST 1234 5698 7654 32 today', [['iban', 'GB82 WEST 1234 5698 7654 32', 0.95]]],
  ['GB82WEST12345698765432', [['iban', 'GB82WEST12345698765432', 0.95]]],
  ['xGB82WEST12345698765432', []],
  ['IBAN DE89370400440532013000.', [['iban', 'DE89370400440532013000', 0.95]]],
  ['de89 3704 0044 0532 0130 00', [['iban', 'de89 3704 0044 0532 0130 00', 0.8]]],
  ['DNI 12345678Z', [['es_nif', '12345678Z', 0.85]]],
  ['NIE X1234567L', [['es_nie', 'X1234567L', 0.85]]],
  ['DNI 12345678-Z', [['es_nif', '12345678-Z', 0.85]]],
  ['NRIC S1234567D', [['sg_nric', 'S1234567D', 0.85]]],
  ['PAN ABCPE1234F', [['in_pan', 'ABCPE1234F', 0.7]]],
  ['HETU 131052-308T', [['fi_personal_id', '131052-308T', 0.85]]],
  ['NINO AB 12 34 56 C', [['uk_nino', 'AB 12 34 56 C', 0.95]]],
  ['nino AB123456C', [['uk_nino', 'AB123456C', 0.95]]],
  ['CF RSSMRA85T10A562S', [['it_fiscal_code', 'RSSMRA85T10A562S', 0.9]]],
  // Dates of birth: cues are looked for only before date-shaped runs.
  ['born 12/05/1990', [['date_of_birth', '12/05/1990', 0.85]]],
  ['date of birth: 12 March 1990', [['date_of_birth', '12 March 1990', 0.85]]],
  ['DOB March 12, 1990', [['date_of_birth', 'March 12, 1990', 0.85]]],
  ['born on 1990-05-12', [['date_of_birth', '1990-05-12', 0.85]]],
  ['birthday 1st of jan. 2001', [['date_of_birth', '1st of jan. 2001', 0.85]]],
  ['born in a small town long ago and far away, 12/05/1990', []],
  ['born: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx 12 March 1990', [['date_of_birth', '12 March 1990', 0.85]]],
  ['geboren 3.4.1985', [['date_of_birth', '3.4.1985', 0.85]]],
  ['d.o.b 01-02-03', [['date_of_birth', '01-02-03', 0.85]]],
  ['né le 12 mars 1990', []],
  ['BIRTH 5 May 1977', []],
  // The cue opens a window of 40 characters: a date starting at its last character, and one past it.
  ['born' + ' '.repeat(36) + '12th of september., 1990', [['date_of_birth', '12th of september., 1990', 0.85]]],
  ['born' + ' '.repeat(37) + '12 March 1990', []],
  ['dob' + ' '.repeat(37) + '1/2/1990', [['date_of_birth', '1/2/1990', 0.85]]],
  ['dob' + ' '.repeat(38) + '1/2/1990', []],
  ['dob 1/2/1990' + ' '.repeat(40) + 'born 30.12.1990', [['date_of_birth', '1/2/1990', 0.85], ['date_of_birth', '30.12.1990', 0.85]]],
  ['born 1/2/90 and born 3/4/1991 and 2001-02-03', [['date_of_birth', '1/2/90', 0.85], ['date_of_birth', '3/4/1991', 0.85], ['date_of_birth', '2001-02-03', 0.85]]],
  // Letter IDs at the text's edges.
  ['12345678Z', [['es_nif', '12345678Z', 0.85]]],
  ['X1234567L', [['es_nie', 'X1234567L', 0.85]]],
  ['S1234567D', [['sg_nric', 'S1234567D', 0.85]]],
  ['ABCPE1234F', [['in_pan', 'ABCPE1234F', 0.7]]],
  ['131052-308T', [['fi_personal_id', '131052-308T', 0.85]]],
  ['AB123456C', [['uk_nino', 'AB123456C', 0.75]]],
  ['AB 123456 C', [['uk_nino', 'AB 123456 C', 0.75]]],
  ['AB12 34 56C', [['uk_nino', 'AB12 34 56C', 0.75]]],
  ['RSSMRA85T10A562S', [['it_fiscal_code', 'RSSMRA85T10A562S', 0.9]]],
  ['DE89370400440532013000', [['iban', 'DE89370400440532013000', 0.95]]],
  // E-mail, wallets, full-width digits.
  ['write to a.b@example.com or x@y.co.', [['email', 'a.b@example.com', 0.95], ['email', 'x@y.co', 0.95]]],
  ['btc 1BoatSLRHtKNngkdXEeobR76b53LETtpyT', [['crypto_wallet', '1BoatSLRHtKNngkdXEeobR76b53LETtpyT', 0.9]]],
  ['eth 0x52908400098527886E0F7030069857D2E4169EE7', [['crypto_wallet', '0x52908400098527886E0F7030069857D2E4169EE7', 0.7]]],
  ['電話 ４１５-５５５-０１３２', [['phone', '４１５-５５５-０１３２', 0.7]]],
  ['card ４１１１ １１１１ １１１１ １１１１', [['credit_card', '４１１１ １１１１ １１１１ １１１１', 0.98]]],
];

describe('structured scanners started from the digit runs', () => {
  it.each(ROWS)('%s', (text, expected) => {
    expect(found(text)).toEqual(expected);
  });

  it('finds every value of the guardrails benchmark sample', () => {
    expect(found(GUARDRAILS_SAMPLE).map(([entity, value]) => `${entity} ${value}`)).toEqual([
      'email jane.doe@example.com',
      'email accounts.payable@contoso-corp.example',
      'phone (415) 555-0132',
      'phone +1 212-555-0199',
      'phone 650.555.0147',
      'credit_card 4111 1111 1111 1111',
      'credit_card 5500-0000-0000-0004',
      'credit_card 3782 822463 10005',
      'us_ssn 078-05-1120',
      'email sponsor.office@fabrikam.example',
      'phone (303) 555-0178',
      'email support@northwind.example',
    ]);
  });
});
