import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { literalReach, regexBounds, type Finding, type Segment } from '../../../src/core/index.js';
import { CONTEXT_KEYWORD_RULES, GENERIC_ASSIGNMENT } from '../../../src/guards/secrets/rules.js';
import {
  keywordAutomaton,
  createSecretsDetector,
  githubChecksumValid,
  nearKeywordBounds,
  nearKeywordsCheaper,
  SECRET_RULES,
  SECRET_PROVIDERS,
  secretsConfigSchema,
  secretsGuardFactory,
  secretsPendingSuffix,
} from '../../../src/guards/secrets/index.js';

// Every credential below is built at run time from random bytes: the repository holds no key, and
// push-protection scanners see only the prefixes as separate string pieces.
const B62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';
function rand(alphabet: string, n: number): string {
  const bytes = randomBytes(n);
  let out = '';
  for (let i = 0; i < n; i++) out += alphabet[bytes[i]! % alphabet.length];
  return out;
}
const join = (...parts: string[]): string => parts.join('');

/** Random hex of real-key quality: about 1 draw in 10,000 is too uniform to pass for a key, so redraw. */
function hexKey(n: number): string {
  for (;;) {
    const key = rand(HEX, n);
    const counts = new Map<string, number>();
    for (const ch of key) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    let h = 0;
    for (const c of counts.values()) h -= (c / n) * Math.log2(c / n);
    if (h >= 3.4) return key;
  }
}

/** GitHub token with its real CRC32 checksum, computed with node:zlib (independent of our code). */
function githubToken(prefix: string): string {
  const body = rand(B62, 30);
  const digits = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  let n = crc32(body);
  let enc = '';
  for (let i = 0; i < 6; i++) {
    enc = digits[n % 62]! + enc;
    n = Math.floor(n / 62);
  }
  return join(prefix, '_', body, enc);
}

function jwt(): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = enc({ alg: 'HS256', typ: 'JWT' });
  const body = enc({ sub: 'user-42', iat: 1_700_000_000 });
  const sig = createHmac('sha256', randomBytes(16)).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

const detect = createSecretsDetector(secretsConfigSchema.parse({}));
const ids = (text: string): string[] => detect(text).map((m) => m.id);
const values = (text: string): string[] => detect(text).map((m) => text.slice(m.start, m.end));

const SAMPLES: [string, () => string, string][] = [
  ['OpenAI project key', () => join('sk-', 'proj-', rand(B62, 40), 'T3Blbk', 'FJ', rand(B62, 40)), 'openai_api_key'],
  ['Anthropic key', () => join('sk-', 'ant-', 'api03-', rand(B62, 93), 'AA'), 'anthropic_api_key'],
  ['AWS access key id', () => join('AK', 'IA', rand('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)), 'aws_access_key_id'],
  ['AWS secret access key', () => `aws_secret_access_key = ${rand(B62, 40)}`, 'aws_secret_access_key'],
  ['GitHub classic PAT', () => githubToken(join('gh', 'p')), 'github_token'],
  ['GitHub fine-grained PAT', () => join('github', '_pat_', rand(B62, 22), '_', rand(B62, 59)), 'github_fine_grained_pat'],
  ['GitLab PAT', () => join('gl', 'pat-', rand(B62, 20)), 'gitlab_token'],
  ['Slack bot token', () => join('xo', 'xb-', '1234567890', '-', '1234567890123', '-', rand(B62, 24)), 'slack_token'],
  ['Slack webhook', () => join('https://hooks.', 'slack.com/services/', 'T0', rand('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 8), '/B0', rand('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 8), '/', rand(B62, 24)), 'slack_webhook'],
  ['Stripe secret key', () => join('sk', '_live_', rand(B62, 24)), 'stripe_secret_key'],
  ['Google API key', () => join('AI', 'za', rand(B62, 35)), 'google_api_key'],
  ['Azure AD client secret', () => join(rand(B62, 3), '8Q~', rand(B62, 34)), 'azure_ad_client_secret'],
  ['Twilio API key', () => join('S', 'K', hexKey(32)), 'twilio_api_key'],
  ['SendGrid key', () => join('S', 'G.', rand(B62, 22), '.', rand(B62, 43)), 'sendgrid_api_key'],
  ['npm token', () => join('np', 'm_', rand(B62, 36)), 'npm_token'],
  ['PyPI token', () => join('pypi-', 'AgEIcHlwaS5vcmc', rand(B62, 60)), 'pypi_token'],
  ['Hugging Face token', () => join('h', 'f_', rand('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 34)), 'huggingface_token'],
  ['Docker Hub PAT', () => join('dckr', '_pat_', rand(B62, 27)), 'dockerhub_token'],
  ['Datadog API key', () => `DD_API_KEY=${hexKey(32)}`, 'datadog_api_key'],
  ['SonarQube token in Make syntax', () => `SONAR.LOGIN ::= "${join("sq", "p_")}${hexKey(40)}"`, 'sonarqube_token'],
  ['Shopify token', () => join('shp', 'at_', rand(HEX, 32)), 'shopify_token'],
  ['DigitalOcean token', () => join('do', 'p_v1_', rand(HEX, 64)), 'digitalocean_token'],
  ['Databricks token', () => join('da', 'pi', rand(HEX, 32)), 'databricks_token'],
  ['Vault token', () => join('hv', 's.', rand(B62, 90)), 'hashicorp_vault_token'],
  ['Linear key', () => join('lin', '_api_', rand(B62, 40)), 'linear_api_key'],
  ['Postman key', () => join('PM', 'AK-', rand(HEX, 24), '-', rand(HEX, 34)), 'postman_api_key'],
  ['Telegram bot token', () => join('123456789', ':AA', rand(B62, 33)), 'telegram_bot_token'],
  ['age secret key', () => join('AGE-', 'SECRET-KEY-1', rand('QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L', 58)), 'age_secret_key'],
  ['ClawGuard API key', () => join('c', 'g_', randomBytes(32).toString('base64url')), 'clawguard_api_key'],
  ['JWT', jwt, 'jwt'],
  ['PEM private key', () => join('-----BEGIN ', 'RSA PRIVATE KEY-----\n', randomBytes(120).toString('base64'), '\n-----END RSA PRIVATE KEY-----'), 'private_key'],
  ['Postgres URL with password', () => `DATABASE_URL=postgres://app:${rand(B62, 14)}@db.internal:5432/app`, 'url_password'],
  ['curl basic auth', () => `curl -u deploy:${rand(B62, 16)} https://ci.example.com`, 'cli_password'],
  ['Authorization: Basic', () => `Authorization: Basic ${Buffer.from(`admin:${rand(B62, 12)}`).toString('base64')}`, 'basic_auth'],
  ['Bearer token', () => `Authorization: Bearer ${rand(B62, 40)}`, 'bearer_token'],
  ['password assignment', () => `db_password = "${rand(B62, 10)}!${rand(B62, 4)}"`, 'generic_credential'],
  ['credential header in curl', () => `curl -H "X-Api-Token: f${rand(HEX, 8)}${rand("0123456789", 4)}" https://api.example.com`, 'http_header_credential'],
  ['token as curl user name', () => `curl -u "${rand(B62, 12)}7:" https://localhost:9200`, 'cli_password'],
  ['default value of a credential lookup', () => `GetEnvOrDefault("api_token", "${randomUUID()}")`, 'generic_credential'],
];

describe('secrets detection by provider format', () => {
  it('covers at least 60 providers', () => {
    expect(SECRET_PROVIDERS.length).toBeGreaterThanOrEqual(60);
  });

  it.each(SAMPLES)('finds a %s', (_name, make, id) => {
    const secret = make();
    const text = `config:\n  value: ${secret}\n`;
    expect(ids(text)).toContain(id);
  });

  it('reports the secret itself as the span of an assignment', () => {
    const value = `${rand(B62, 12)}9!`;
    const text = `password = "${value}"`;
    expect(values(text)).toEqual([value]);
  });

  it('verifies GitHub token checksums', () => {
    const valid = githubToken(join('gh', 'p'));
    expect(githubChecksumValid(valid)).toBe(true);
    const broken = valid.slice(0, -1) + (valid.endsWith('A') ? 'B' : 'A');
    expect(githubChecksumValid(broken)).toBe(false);
    expect(detect(`t ${valid}`)[0]!.score).toBeGreaterThan(detect(`t ${broken}`)[0]!.score);
  });
});

describe('keyword automaton', () => {
  it('finds every keyword, overlapping ones and any case, and nothing outside ASCII', () => {
    const rules = new Map<string, number[]>([
      ['sk-', [0]],
      ['sk-ant-', [1]],
      ['ghp_', [2]],
      ['key', [3, 0]],
    ]);
    const find = keywordAutomaton(rules, 4);
    expect(find('SK-ANT-api03')).toEqual([0, 1]);
    expect(find('my ghp_ token and a KEY')).toEqual([0, 2, 3]);
    expect(find('nothing here: ｓｋ- skey ghp')).toEqual([0, 3]);
    expect(find('')).toEqual([]);
    expect(() => keywordAutomaton(new Map([['Key', [0]]]), 1)).toThrow(/lower-case ASCII/);
  });

  // The automaton reads long texts as four quarters at once (each from a little before its quarter):
  // it must report what a plain search for every keyword reports, at every position, in text order.
  const allRules = [...SECRET_RULES, GENERIC_ASSIGNMENT];
  const byKeyword = new Map<string, number[]>();
  allRules.forEach((r, i) => {
    for (const k of r.keywords) byKeyword.set(k, [...(byKeyword.get(k) ?? []), i]);
  });
  const located = new Set(allRules.map((_, i) => i).filter((i) => i % 3 !== 0));
  const automaton = keywordAutomaton(byKeyword, allRules.length, located);
  /** Every keyword by indexOf over the text with only A-Z folded: the rules found and, per located rule, the ends. */
  function naive(text: string): { found: number[]; ends: (number[] | undefined)[] } {
    let folded = '';
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      folded += String.fromCharCode(c >= 65 && c <= 90 ? c + 32 : c);
    }
    const found = new Set<number>();
    const endSets: Set<number>[] = allRules.map(() => new Set<number>());
    for (const [k, rules] of byKeyword) {
      for (let at = folded.indexOf(k); at >= 0; at = folded.indexOf(k, at + 1)) {
        for (const r of rules) {
          found.add(r);
          if (located.has(r)) endSets[r]!.add(at + k.length);
        }
      }
    }
    return { found: [...found].sort((a, b) => a - b), ends: endSets.map((e) => (e.size ? [...e].sort((a, b) => a - b) : undefined)) };
  }
  function viaAutomaton(text: string): { found: number[]; ends: (number[] | undefined)[] } {
    const ends: (number[] | undefined)[] = new Array<number[] | undefined>(allRules.length).fill(undefined);
    return { found: automaton(text, ends), ends };
  }
  const keywords = [...byKeyword.keys()];

  it('reports what a plain search for every keyword reports, in long texts read by quarters too', () => {
    const piece = fc.oneof(
      fc.constantFrom(...keywords),
      fc.constantFrom(...keywords).map((k) => k.toUpperCase()),
      fc.tuple(fc.constantFrom(...keywords), fc.nat()).map(([k, n]) => k.slice(0, 1 + (n % k.length))),
      fc.constantFrom(' ', '\n', 'a', 'S', '.', '-', '_', 'é', 'ｓ', '\u0130', '\u212a', '\u{1F600}', 'x'.repeat(50)),
      fc.string({ maxLength: 10 }),
      fc.string({ unit: 'binary', maxLength: 6 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { minLength: 20, maxLength: 600 }), (pieces) => {
        const text = pieces.join('');
        expect(viaAutomaton(text)).toEqual(naive(text));
      }),
      { numRuns: 400 },
    );
  });

  it('finds keywords across and at the edges of the quarters', () => {
    for (const length of [279, 280, 281, 400, 1023, 2048]) {
      const quarter = length >> 2;
      for (const k of ['sk', 'administrator_login_password', 'putty-user-key-file-', 'token', 's.']) {
        for (const b of [quarter, 2 * quarter, 3 * quarter, length]) {
          for (let at = b - k.length - 1; at <= b + 1; at++) {
            if (at < 0 || at + k.length > length) continue;
            const text = 'x'.repeat(at) + k.toUpperCase() + 'y'.repeat(length - at - k.length);
            expect(viaAutomaton(text)).toEqual(naive(text));
          }
        }
      }
    }
  });
});

describe('rule keywords', () => {
  // A rule runs only when one of its keywords occurs: a keyword list that some match can avoid
  // (`kind: secret` against `kind:Secret`, `-u ` against `-u=`) silently drops those secrets.
  it('are held by every match of every rule, within a bounded distance of its start', () => {
    const unproven = [...SECRET_RULES, GENERIC_ASSIGNMENT].filter((r) => !CONTEXT_KEYWORD_RULES.has(r.id) && literalReach(r.re, r.keywords) === undefined);
    expect(unproven.map((r) => r.id)).toEqual([]);
  });

  it('let every rule with bounded matches, but the context-keyword ones, run near its keywords only', () => {
    const all = [...SECRET_RULES, GENERIC_ASSIGNMENT];
    const whole = all.filter((r) => nearKeywordBounds(r) === undefined).map((r) => r.id);
    const unbounded = all.filter((r) => regexBounds(r.re).maxLength === Infinity).map((r) => r.id);
    expect(new Set(whole)).toEqual(new Set([...CONTEXT_KEYWORD_RULES, ...unbounded]));
    expect(unbounded.length).toBeLessThan(20);
  });

  it('scan the whole text when keywords are so dense that windows would read more', () => {
    const bounds = { reach: 37, maxLength: 263 };
    expect(nearKeywordsCheaper(bounds, 10, 47_000)).toBe(true);
    expect(nearKeywordsCheaper(bounds, 25_000, 200_000)).toBe(false);
  });

  it('find the same secrets in texts made of keywords (unbounded and dense rules stay linear)', () => {
    const whole = createSecretsDetector(secretsConfigSchema.parse({}), { nearKeywords: false });
    const key = join('EAA', 'B', rand(B62, 70));
    for (const unit of ['EAA ', 'kind: Pod\n', 'token x ', ' -u ', 'a:// ']) {
      const text = `${unit.repeat(20_000)} ${key} ${unit.repeat(100)}`;
      expect(detect(text)).toEqual(whole(text));
    }
  });
});

describe('scanning near keywords', () => {
  const config = secretsConfigSchema.parse({});
  const windowed = createSecretsDetector(config);
  const whole = createSecretsDetector(config, { nearKeywords: false });
  // Every provider's format, made once (fast-check needs the same pieces on every run), whole and cut.
  const samples = SAMPLES.flatMap(([, make]) => [make(), make()]);
  const sample = fc.oneof(
    fc.constantFrom(...samples),
    fc.tuple(fc.constantFrom(...samples), fc.nat()).map(([s, n]) => s.slice(0, n % s.length)),
    fc.constantFrom(...[...SECRET_RULES, GENERIC_ASSIGNMENT].flatMap((r) => r.keywords)),
  );
  it('finds exactly what a scan of the whole text finds, for every provider format', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(sample, fc.constantFrom(' ', '\n', '=', ': ', '"', 'x'), fc.string({ maxLength: 8 })), { maxLength: 40 }), (pieces) => {
        const text = pieces.join('');
        expect(windowed(text)).toEqual(whole(text));
      }),
      { numRuns: 2000 },
    );
  });

  // Pieces that make credential assignments, URLs with passwords, and near misses collide in every way:
  // keywords at window edges, long runs that push matches to their length limits, overlapping windows.
  const piece = fc.oneof(
    fc.constantFrom('password', 'PASSWD', 'pwd', 'client_secret', 'Token', 'api-key', 'apiKey', 'AUTH', 'credentials', 'private.key', 'access_key'),
    fc.constantFrom('=', ':', ':=', '::=', '=>', '?=', '"', "'", '`', ' ', '  ', '\n', ',', ';', ')', '@', '/', '-', '_', '.'),
    fc.constantFrom('://', 'postgres://', 'https://', 'redis://', 'admin:', 'user:', '@db.example.com', '@10.0.0.5'),
    fc.stringMatching(/^[A-Za-z0-9+/_.-]{1,40}$/),
    fc.integer({ min: 1, max: 320 }).map((n) => 'aB3'.repeat(n).slice(0, n)),
    // High-entropy runs up to past the longest value and host a match may hold.
    fc.tuple(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 1000 })).map(([n, seed]) => {
      const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789';
      let out = '';
      for (let i = 0; i < n; i++) out += alphabet[(seed * 31 + i * i * 17 + i * 7) % alphabet.length];
      return out;
    }),
    fc.integer({ min: 1, max: 600 }).map((n) => ' '.repeat(n)),
    fc.string({ maxLength: 6 }),
  );
  it('finds exactly what a scan of the whole text finds', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), (pieces) => {
        const text = pieces.join('');
        expect(windowed(text)).toEqual(whole(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('finds assignments and URL passwords at the edges of long texts, once each', () => {
    const filler = 'lorem ipsum dolor sit amet '.repeat(400);
    const key = 'Zx9q7Lm2Vb8Nc4Kd6Ht1';
    const text = `api_key="${key}" ${filler} postgres://app:${key}@db.internal:5432/prod ${filler}db_password=${key}`;
    const found = windowed(text);
    expect(found.map((m) => [m.id, text.slice(m.start, m.end)])).toEqual([
      ['generic_credential', key],
      ['url_password', key],
      ['generic_credential', key],
    ]);
    expect(found).toEqual(whole(text));
  });
});

describe('secrets false positives', () => {
  it.each([
    ['placeholders', 'OPENAI_API_KEY=${OPENAI_API_KEY}\npassword = "<your-password>"\ntoken: xxxxxxxxxxxxxxxxxxxx'],
    ['environment reads', 'api_key = os.environ["API_KEY"]\nconst token = process.env.GITHUB_TOKEN;'],
    ['the documented AWS example key', join('AKIA', 'IOSFODNN7', 'EXAMPLE')],
    ['empty PEM block', '-----BEGIN OPENSSH PRIVATE KEY----------END OPENSSH PRIVATE KEY-----'],
    ['URL with a templated password', 'postgres://user:${DB_PASSWORD}@localhost/db and https://user:password@example.com'],
    ['ordinary prose and code', 'The token bucket algorithm limits requests. def get_password_hash(password): return hash(password)'],
    ['content-type and templated headers', 'curl -H "Content-Type: application/json" -H "Authorization: Bearer $API_KEY" -H "X-Api-Key: {{key}}"'],
    ['repeated characters', join('gh', 'p_', 'x'.repeat(36)) + ' ' + join('glc', '_', '1'.repeat(40))],
  ])('ignores %s', (_name, text) => {
    expect(detect(text)).toEqual([]);
  });

  it('respects the allow list and disabled rules', () => {
    const key = join('sk', '_test_', rand(B62, 24));
    const allowing = createSecretsDetector(secretsConfigSchema.parse({ allowValues: [key] }));
    expect(allowing(`k=${key}`)).toEqual([]);
    const noStripe = createSecretsDetector(secretsConfigSchema.parse({ disable: ['stripe_secret_key'], generic: false }));
    expect(noStripe(`k ${key}`)).toEqual([]);
  });
});

describe('secretsGuardFactory', () => {
  const segment: Segment = { id: 't', direction: 'input', role: 'tool', kind: 'tool_result', toolName: 'read_file', text: '', trusted: false, path: [] };

  it('reports secret.<provider> findings with spans, never the secret in the reason', () => {
    const guard = secretsGuardFactory.create(secretsConfigSchema.parse({}), { id: 'secrets', failOpen: false, timeoutMs: 50 });
    const key = join('AK', 'IA', rand('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16));
    const text = `[default]\naws_access_key_id = ${key}\n`;
    const findings = guard.inspect({ ...segment, text }, { requestId: 'r', direction: 'input' }) as Finding[];
    expect(findings.map((f) => f.type)).toEqual(['secret.aws_access_key_id']);
    expect(text.slice(findings[0]!.span!.start, findings[0]!.span!.end)).toBe(key);
    expect(findings[0]!.reason).not.toContain(key);
  });

  it('rejects unknown configuration', () => {
    expect(secretsGuardFactory.schema.safeParse({ generic: 'yes' }).success).toBe(false);
  });

  it('holds back unfinished tokens, assignments and PEM blocks in streams', () => {
    expect(secretsPendingSuffix('key: sk-ant-api03-abc', 511)).toBe('sk-ant-api03-abc'.length);
    expect(secretsPendingSuffix('the password = ', 511)).toBe('password = '.length);
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIE';
    expect(secretsPendingSuffix(`here:\n${pem}`, 511)).toBe(pem.length);
    expect(secretsPendingSuffix('all good. ', 511)).toBe(0);
  });
});
