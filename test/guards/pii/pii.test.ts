import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Segment } from '../../../src/core/index.js';
import { detectPii, PII_ENTITIES, piiConfigSchema, piiGuardFactory } from '../../../src/guards/pii/index.js';
import { digitProfile, digitRuns } from '../../../src/guards/pii/structured.js';
import { findNames } from '../../../src/guards/pii/names.js';
import { compactModel, tagTokens, type TaggerModel, tokenize } from '../../../src/guards/pii/tagger.js';
import { luhnValid, ibanMod97Valid, verhoeffValid, spanishIdValid, italianFiscalCodeValid, usSsnValid, bech32Valid } from '../../../src/guards/pii/checksums.js';

// Every entity, names included (the default leaves the name tagger off for speed).
const ALL = { entities: [...PII_ENTITIES] };
const config = piiConfigSchema.parse(ALL);

function found(text: string, entity?: string): string[] {
  return detectPii(text, config)
    .filter((c) => entity === undefined || c.entity === entity)
    .map((c) => text.slice(c.start, c.end));
}

function segment(text: string): Segment {
  return { id: 's1', direction: 'input', role: 'user', kind: 'message', text, trusted: false, path: ['messages', 0] };
}

describe('checksums (published vectors)', () => {
  it('Luhn accepts the Visa test card and rejects a changed digit', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
  });
  it('IBAN mod-97 accepts the ISO 13616 examples', () => {
    expect(ibanMod97Valid('GB82WEST12345698765432')).toBe(true);
    expect(ibanMod97Valid('DE89370400440532013000')).toBe(true);
    expect(ibanMod97Valid('GB82WEST12345698765433')).toBe(false);
  });
  it('Verhoeff accepts 2363 (check digit of 236 is 3)', () => {
    expect(verhoeffValid('2363')).toBe(true);
    expect(verhoeffValid('2364')).toBe(false);
  });
  it('Spanish DNI/NIE letters follow mod 23', () => {
    expect(spanishIdValid('12345678Z')).toBe(true);
    expect(spanishIdValid('X1234567L')).toBe(true);
    expect(spanishIdValid('12345678A')).toBe(false);
  });
  it('Italian codice fiscale check letter', () => {
    expect(italianFiscalCodeValid('RSSMRA85T10A562S')).toBe(true);
    expect(italianFiscalCodeValid('RSSMRA85T10A562T')).toBe(false);
  });
  it('US SSN structure rules', () => {
    expect(usSsnValid('536221234')).toBe(true);
    for (const bad of ['000221234', '666221234', '936221234', '536001234', '536220000']) expect(usSsnValid(bad)).toBe(false);
  });
  it('bech32 accepts the BIP-173 P2WPKH vector', () => {
    expect(bech32Valid('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4')).toBe(true);
    expect(bech32Valid('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5')).toBe(false);
  });
});

describe('structured PII', () => {
  it('finds e-mail addresses, including punycode domains', () => {
    expect(found('write to Ann.Lee+work@example.co.uk or a@xn--d1acufc.xn--p1ai.', 'email')).toEqual(['Ann.Lee+work@example.co.uk', 'a@xn--d1acufc.xn--p1ai']);
    expect(found('the @mention and user@localhost are no addresses', 'email')).toEqual([]);
  });

  it.each([
    ['US', 'Call me at +1 201-555-0123 tomorrow.', '+1 201-555-0123'],
    ['US national', 'my number is (415) 555-0132, thanks', '(415) 555-0132'],
    ['UK', 'Ring 07400 123456 please', '07400 123456'],
    ['DE', 'Telefon: 030 1234567', '030 1234567'],
    ['FR', 'Appelez le 01 23 45 67 89', '01 23 45 67 89'],
    ['ES', 'Llámame al 612 34 56 78', '612 34 56 78'],
    ['IT', 'Chiamami allo 02 1234 5678', '02 1234 5678'],
    ['NL', 'Bel 010 123 4567', '010 123 4567'],
    ['IN', 'Call 081234 56789', '081234 56789'],
    ['BR', 'Ligue (11) 96123-4567', '(11) 96123-4567'],
    ['JP', 'Phone 03-1234-5678', '03-1234-5678'],
    ['CN', 'Phone: 010 1234 5678', '010 1234 5678'],
    ['AU', 'Call 02 1234 5678 today', '02 1234 5678'],
    ['E.164', 'whatsapp +447911123456', '+447911123456'],
  ])('finds %s phone numbers', (_country, text, value) => {
    expect(found(text, 'phone')).toEqual([value]);
  });

  it('keeps a phone extension and leaves dates, times and house numbers alone', () => {
    expect(found('Fax: 463-612-6138x036', 'phone')).toEqual(['463-612-6138x036']);
    expect(found('On 2018-02-24 12:45:18 the build ran', 'phone')).toEqual([]);
    expect(found('We moved to 17031 2202 Rissik Street', 'phone')).toEqual([]);
    expect(found('My driver license number is 6940579', 'phone')).toEqual([]);
  });

  it('finds payment cards by Luhn and issuer, with or without separators', () => {
    expect(found('card 4111 1111 1111 1111 exp 12/29', 'credit_card')).toEqual(['4111 1111 1111 1111']);
    expect(found('mc 5500-0000-0000-0004 and amex 340000000000009', 'credit_card')).toEqual(['5500-0000-0000-0004', '340000000000009']);
    expect(found('order 4111111111111112 shipped', 'credit_card')).toEqual([]);
  });

  it('finds IBANs with a valid checksum, grouped or compact', () => {
    expect(found('pay to GB82 WEST 1234 5698 7654 32 today', 'iban')).toEqual(['GB82 WEST 1234 5698 7654 32']);
    expect(found('IBAN DE89370400440532013000.', 'iban')).toEqual(['DE89370400440532013000']);
    expect(found('IBAN GB82 WEST 1234 5698 7654 33', 'iban')).toEqual([]);
  });

  it('finds US SSNs and rejects impossible ones', () => {
    expect(found('my SSN is 536-22-1234', 'us_ssn')).toEqual(['536-22-1234']);
    expect(found('my SSN is 666-22-1234', 'us_ssn')).toEqual([]);
    expect(found('ref 536221234', 'us_ssn')).toEqual([]);
    expect(found('social security number 536221234', 'us_ssn')).toEqual(['536221234']);
    expect(found('pasted an SSN (078-05-1120) into the notes')).toEqual(['078-05-1120']);
  });

  it('context words raise confidence', () => {
    const withContext = detectPii('my SSN is 536-22-1234', config)[0]!;
    const without = detectPii('code 536-22-1234', config)[0]!;
    expect(withContext.score).toBeGreaterThan(without.score);
  });

  it('finds IPv4 (with CIDR) and IPv6 (with zone), not version numbers', () => {
    expect(found('hosts 192.168.1.1, 10.0.0.0/8 and fe80::1%eth0 and [2001:db8::1]', 'ip_address')).toEqual([
      '192.168.1.1',
      '10.0.0.0/8',
      'fe80::1%eth0',
      '2001:db8::1',
    ]);
    expect(found('version 1.2.3.4.5 and 300.1.1.1', 'ip_address')).toEqual([]);
  });

  it('finds MAC addresses and crypto wallets', () => {
    expect(found('MAC: 01:23:45:67:89:AB', 'mac_address')).toEqual(['01:23:45:67:89:AB']);
    expect(found('send to 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa or bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', 'crypto_wallet')).toEqual([
      '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa',
      'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4',
    ]);
    expect(found('hash 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb', 'crypto_wallet')).toEqual([]);
  });

  it('finds national identifiers with checksums', () => {
    expect(found('NIE X1234567L and DNI 12345678Z')).toEqual(['X1234567L', '12345678Z']);
    expect(found('DNI 12345678-Z, NI number AB 12 34 56 C')).toEqual(['12345678-Z', 'AB 12 34 56 C']);
    expect(found('CF RSSMRA85T10A562S')).toEqual(['RSSMRA85T10A562S']);
    expect(found('NI number AB123456C', 'uk_nino')).toEqual(['AB123456C']);
    expect(found('aadhaar 2345 6789 0124', 'in_aadhaar')).toEqual(['2345 6789 0124']);
  });

  it('finds more national identifiers by their check digits', () => {
    expect(found('personnummer 811218-9876', 'se_personnummer')).toEqual(['811218-9876']);
    expect(found('TC kimlik 10000000146', 'tr_national_id')).toEqual(['10000000146']);
    expect(found('TC kimlik 10000000147', 'tr_national_id')).toEqual([]);
    expect(found('NRIC S1234567D', 'sg_nric')).toEqual(['S1234567D']);
    expect(found('NRIC S1234567A', 'sg_nric')).toEqual([]);
    expect(found('ID 8001015009087', 'za_id')).toEqual(['8001015009087']);
    expect(found('ITIN 912-70-1234', 'us_itin')).toEqual(['912-70-1234']);
    expect(found('NHS number 943 476 5919', 'uk_nhs')).toEqual(['943 476 5919']);
    expect(found('order 943 476 5919', 'uk_nhs')).toEqual([]);
  });

  it('finds dates only as dates of birth, by context', () => {
    expect(found('born on 12/05/1990', 'date_of_birth')).toEqual(['12/05/1990']);
    expect(found('DOB: March 3, 1985', 'date_of_birth')).toEqual(['March 3, 1985']);
    expect(found('released on 12/05/1990')).toEqual([]);
  });

  it('sees through full-width digits', () => {
    expect(found('card ４１１１ １１１１ １１１１ １１１１', 'credit_card')).toEqual(['４１１１ １１１１ １１１１ １１１１']);
  });
});

describe('digit gates', () => {
  it('profiles digits in one pass', () => {
    expect(digitProfile('no numbers here')).toEqual({ digits: 0, maxDigitRun: 0, maxAlnumRunWithDigit: 0 });
    expect(digitProfile('call 555-0132 or bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq now')).toEqual({ digits: 18, maxDigitRun: 4, maxAlnumRunWithDigit: 42 });
  });
  it('finds the runs and profile a plain regex scan finds (indexOf for the first runs, the regex engine after)', () => {
    const reference = (text: string): { runs: [number, number][]; profile: ReturnType<typeof digitProfile> } => {
      const runs = [...text.matchAll(/[0-9]+/g)].map((m): [number, number] => [m.index, m.index + m[0].length]);
      const alnum = [...text.matchAll(/[A-Za-z0-9]+/g)].filter((m) => /[0-9]/.test(m[0])).map((m) => m[0].length);
      const profile = { digits: runs.reduce((t, [a, b]) => t + b - a, 0), maxDigitRun: Math.max(0, ...runs.map(([a, b]) => b - a)), maxAlnumRunWithDigit: Math.max(0, ...alnum) };
      return { runs, profile };
    };
    const piece = fc.oneof(
      fc.stringMatching(/^[0-9]{1,6}$/),
      fc.constantFrom(' ', '-', '.', 'a', 'Z', '_', '٣', '４', 'é', '\u{1F600}', '(', '+', ' 4111 1111 1111 1111 ', 'abc123def'),
      fc.string({ maxLength: 5 }),
      fc.integer({ min: 1, max: 200 }).map((k) => 'x'.repeat(k)),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), (pieces) => {
        const text = pieces.join('');
        const expected = reference(text);
        expect(digitRuns(text)).toEqual(expected.runs);
        expect(digitProfile(text)).toEqual(expected.profile);
      }),
      { numRuns: 2000 },
    );
  });
  it('still finds values with few or no digits that the gates could skip', () => {
    expect(found('the NIC is AA-BB-CC-DD-EE-FF on eth0', 'mac_address')).toEqual(['AA-BB-CC-DD-EE-FF']);
    expect(found('route via fe80::abcd:ef01 today', 'ip_address')).toEqual(['fe80::abcd:ef01']);
    expect(found('born on 3 May 1990 in a small town', 'date_of_birth')).toEqual(['3 May 1990']);
  });
});

describe('names, locations, addresses', () => {
  it('finds person names and places in context', () => {
    expect(found('My name is Hedvig Arvidsson and I live in Paris.')).toEqual(['Hedvig Arvidsson', 'Paris']);
    expect(found('The meeting with John Smith is in Berlin next week.', 'person')).toEqual(['John Smith']);
  });
  it('finds speakers next to speech verbs', () => {
    expect(found("I'm so jealous! said Željko to his sister.", 'person')).toEqual(['Željko']);
    expect(found('Then Maslin Ortega replied quietly.', 'person')).toEqual(['Maslin Ortega']);
  });
  it('finds a street address', () => {
    expect(found('Please send it to 221B Baker Street, London NW1 6XE.', 'address')).toEqual(['221B Baker Street, London NW1 6XE']);
  });
  it('finds the other names of a list of names', () => {
    const names = found('They had 6: Kateřina, James, Christopher, Jennifer, Emily and Michael.', 'person');
    expect(names).toEqual(expect.arrayContaining(['James', 'Jennifer', 'Emily', 'Michael']));
  });
  it('joins a postal address and the town and country after it; keeps separate fields apart', () => {
    const text = "I'll meet you at Tungata 11 Rott Crossroad\n Apt. 322\n Höfn\n Iceland 72399 after the concert.";
    const whole = 'Tungata 11 Rott Crossroad\n Apt. 322\n Höfn\n Iceland 72399';
    const withJoin = (joinAddresses: boolean | undefined, t: string): string[][] =>
      detectPii(t, piiConfigSchema.parse({ ...ALL, joinAddresses })).map((c) => [c.entity, t.slice(c.start, c.end)]);
    // Default: the join model reads a unit, a postcode and a country as one postal address.
    expect(found(text, 'address')).toEqual([whole]);
    expect(withJoin(true, text)).toContainEqual(['address', whole]);
    expect(withJoin(false, text).filter(([e]) => e === 'location').length).toBeGreaterThan(0);
    // A building number, a street and a town written as separate fields stay three findings.
    const fields = 'Anna Berg lives at 4410 Mellemvej 32, Aalborg';
    expect(withJoin(undefined, fields)).toEqual([['person', 'Anna Berg'], ['address', '4410'], ['address', 'Mellemvej 32'], ['location', 'Aalborg']]);
    expect(withJoin(true, fields)).toContainEqual(['address', '4410 Mellemvej 32, Aalborg']);
  });
  it('finds a name in ordinary prose (most of whose words the plain-word gate skips)', () => {
    const text = 'Thanks for the notes from the planning meeting with Anna Berg. The review is on Friday at the office in Leeds, and we will send the draft to the whole group by the end of the week.';
    expect(found(text, 'person')).toEqual(['Anna Berg']);
  });
  it('does not take month names for places', () => {
    expect(found('It was disconnected in March because of the move.')).toEqual([]);
  });
  it('reports nothing in ordinary lower-case prose', () => {
    expect(detectPii('please summarise the attached report and list three risks.', config)).toEqual([]);
  });
});

describe('piiGuardFactory', () => {
  it('validates its configuration', () => {
    expect(piiGuardFactory.schema.safeParse({ entities: ['email'] }).success).toBe(true);
    expect(piiGuardFactory.schema.safeParse({ entities: ['nope'] }).success).toBe(false);
    expect(piiGuardFactory.schema.safeParse({ bogus: 1 }).success).toBe(false);
  });

  it('returns typed findings with spans and never the value in the reason', () => {
    const guard = piiGuardFactory.create(piiConfigSchema.parse(ALL), { id: 'pii', failOpen: false, timeoutMs: 50 });
    const text = 'Mail ann@example.org or call +1 201-555-0123.';
    const findings = guard.inspect(segment(text), { requestId: 'r', direction: 'input' });
    expect(Array.isArray(findings)).toBe(true);
    const list = findings as Exclude<typeof findings, Promise<unknown>>;
    expect(list.map((f) => f.type)).toEqual(['pii.email', 'pii.phone']);
    for (const f of list) {
      expect(f.guard).toBe('pii');
      expect(f.segmentId).toBe('s1');
      expect(f.reason).not.toContain(text.slice(f.span!.start, f.span!.end));
    }
    expect(guard.maxSpan).toBe(128);
  });

  it('honours the entity list, allow list and minimum score', () => {
    const only = piiConfigSchema.parse({ entities: ['email'], allowValues: ['support@example.org'] });
    const text = 'support@example.org, ann@example.org, card 4111 1111 1111 1111';
    expect(detectPii(text, only).map((c) => text.slice(c.start, c.end))).toEqual(['ann@example.org']);
    const strict = piiConfigSchema.parse({ minScore: 0.99 });
    expect(detectPii('Call me at +1 201-555-0123', strict)).toEqual([]);
  });

  it('scans the operator-written (trusted) system prompt too unless told not to', () => {
    const options = { id: 'pii', failOpen: false, timeoutMs: 50 };
    const system: Segment = { ...segment('Support: help@example.org'), role: 'system', trusted: true };
    expect(piiGuardFactory.create(piiConfigSchema.parse({}), options).appliesTo!(system)).toBe(true);
    expect(piiGuardFactory.create(piiConfigSchema.parse({}), options).appliesTo!(segment('x'))).toBe(true);
    expect(piiGuardFactory.create(piiConfigSchema.parse({ scanTrusted: false }), options).appliesTo!(system)).toBe(false);
  });

  it('holds back what a stream could still turn into a name, an address or a number', () => {
    const guard = piiGuardFactory.create(piiConfigSchema.parse(ALL), { id: 'pii', failOpen: false, timeoutMs: 50 });
    const held = (t: string) => t.slice(t.length - guard.pendingSuffix!(t));
    expect(held('Please meet John')).toBe('John');
    expect(held('Please meet John Smith ')).toBe('John Smith ');
    expect(held('John Smith is')).toBe(''); // a lower-case plain word cannot start a name
    expect(held('card 4111 1111')).toBe('4111 1111');
    expect(held('send to 221B Baker Street, London')).toBe('221B Baker Street, London');
    expect(held('Hello my friend ')).toBe('');
    const structuredOnly = piiGuardFactory.create(piiConfigSchema.parse({ entities: ['email', 'phone'] }), { id: 'pii', failOpen: false, timeoutMs: 50 });
    expect(structuredOnly.pendingSuffix!('Please meet John Smith ')).toBe(0);
  });

  it('changes its fingerprint with its configuration', () => {
    const a = piiGuardFactory.create(piiConfigSchema.parse(ALL), { id: 'pii', failOpen: false, timeoutMs: 50 });
    const b = piiGuardFactory.create(piiConfigSchema.parse({ ...ALL, minScore: 0.6 }), { id: 'pii', failOpen: false, timeoutMs: 50 });
    expect(a.fingerprint).not.toBe(b.fingerprint);
  });
});

describe('name tagger model', () => {
  it('a compacted model (weights compiled, parsed rows dropped) tags exactly as the model it came from', () => {
    const model = JSON.parse(readFileSync(new URL('../../../src/guards/pii/tagger-model.json', import.meta.url), 'utf8')) as TaggerModel;
    const compact = compactModel(model);
    expect(Object.keys(compact.weights)).toHaveLength(0);
    for (const text of [
      'Please ask Margaret Thompson to review the contract before Friday.',
      'Send it to 221B Baker Street, London NW1 6XE, United Kingdom.',
      'Jean du Pont met Anna van der Berg in Rotterdam last May.',
      'The quarterly report is due; nobody here is named.',
    ]) {
      const tokens = tokenize(text);
      expect(tagTokens(compact, tokens)).toEqual(tagTokens(model, tokens));
      expect(findNames(text, undefined, compact)).toEqual(findNames(text, undefined, model));
    }
  });
});
