/**
 * Data-protection probes against the default configuration (what `clawguard init` writes: default
 * guards and policy, a vault key): a credential or personal data in a request must not reach the
 * provider in clear. Each asserts the safe behaviour (the upstream body does not hold the value);
 * controls check ordinary text is left alone. A security review, 2026-11-26.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { json, type ScriptedUpstream } from '../helpers/scripted-upstream.js';
import { startTwoProviders, type TwoProviders } from '../helpers/two-providers.js';

let oai: ScriptedUpstream;
let ant: ScriptedUpstream;
let openai: OpenAI;
let anthropic: Anthropic;
let pair: TwoProviders;

const completion = (content: string) => ({ id: 'c', object: 'chat.completion', created: 1, model: 'gpt-test', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] });
const anthropicAnswer = (text: string) => ({ id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-test', content: [{ type: 'text', text }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 1, output_tokens: 1 } });

beforeAll(async () => {
  pair = await startTwoProviders();
  ({ oai, ant, openai, anthropic } = pair);
  oai.script = (_req, res) => json(res, 200, completion('ok'));
  ant.script = (_req, res) => json(res, 200, anthropicAnswer('ok'));
});
afterAll(() => pair.close());
beforeEach(() => pair.reset());

/**
 * An OpenAI chat request through the gateway (`extra`: further request fields); what the upstream
 * received, as JSON text ('' when the gateway refused it: nothing reached the provider).
 */
async function viaOpenAi(messages: unknown[], extra: Record<string, unknown> = {}): Promise<string> {
  oai.script = (_req, res) => json(res, 200, completion('ok'));
  try {
    await openai.chat.completions.create({ model: 'gpt-test', messages, ...extra } as any);
  } catch (err) {
    if (oai.requests.length > 0) throw err;
    return '';
  }
  return JSON.stringify(oai.requests[0]!.body);
}

async function viaAnthropic(messages: unknown[], extra: Record<string, unknown> = {}): Promise<string> {
  ant.script = (_req, res) => json(res, 200, anthropicAnswer('ok'));
  try {
    await anthropic.messages.create({ model: 'claude-test', max_tokens: 100, messages, ...extra } as any);
  } catch (err) {
    if (ant.requests.length > 0) throw err;
    return '';
  }
  return JSON.stringify(ant.requests[0]!.body);
}

/** A user message through OpenAI; true when `value` reached the provider as written. */
async function leaks(text: string, value: string): Promise<boolean> {
  const body = await viaOpenAi([{ role: 'user', content: text }]);
  expect(body, 'the request reached the provider (pseudonymized, not refused)').not.toBe('');
  return body.includes(JSON.stringify(value).slice(1, -1));
}

const EMAIL = 'jane.roe@example.org';
const AWS_ID = 'AKIAOZVAA5AYXUWC5KJO';
const AWS_SECRET = 'slPd340NaRmVR6YNZuI8huduHPslq+aSPuOQ8O7n';
const PEM_BODY = [
  'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQglkCDIims1nph0FbP',
  't1gzNdw7suo9EF034T+FvfRr4TChRANCAARv/GYzSDQrHaQsBCwioLanBHJ3TZBE',
  'YLaNpg6Vj+AwbgS6CcbQryQGTEZ6Yc0JQC564lh/un88KRDlzMU07+NC',
];
const PEM = `-----BEGIN PRIVATE KEY-----\n${PEM_BODY.join('\n')}\n-----END PRIVATE KEY-----`;

describe('OpenAI request fields the adapter did not read', () => {
  it('pseudonymizes an e-mail address in `user`', async () => {
    expect(await viaOpenAi([{ role: 'user', content: 'hi' }], { user: EMAIL })).not.toContain(EMAIL);
  });
  it('pseudonymizes an e-mail address in `safety_identifier`', async () => {
    expect(await viaOpenAi([{ role: 'user', content: 'hi' }], { safety_identifier: EMAIL })).not.toContain(EMAIL);
  });
  it('pseudonymizes an e-mail address and a key in `metadata` values', async () => {
    const body = await viaOpenAi([{ role: 'user', content: 'hi' }], { store: true, metadata: { customer: EMAIL, note: `aws ${AWS_ID}` } });
    expect(body).not.toContain(EMAIL);
    expect(body).not.toContain(AWS_ID);
  });
  it('pseudonymizes a key in `prediction.content` (string)', async () => {
    const body = await viaOpenAi([{ role: 'user', content: 'Rewrite the config file.' }], { prediction: { type: 'content', content: `AWS_ACCESS_KEY_ID=${AWS_ID}\naws_secret_access_key = ${AWS_SECRET}` } });
    expect(body).not.toContain(AWS_ID);
    expect(body).not.toContain(AWS_SECRET);
  });
  it('pseudonymizes an e-mail address in `prediction.content` (text parts)', async () => {
    expect(await viaOpenAi([{ role: 'user', content: 'Rewrite.' }], { prediction: { type: 'content', content: [{ type: 'text', text: `owner: ${EMAIL}` }] } })).not.toContain(EMAIL);
  });
  it('pseudonymizes an e-mail address in a `response_format.json_schema` description', async () => {
    const body = await viaOpenAi([{ role: 'user', content: 'Extract the ticket.' }], {
      response_format: { type: 'json_schema', json_schema: { name: 'ticket', description: `Tickets of ${EMAIL}`, schema: { type: 'object', properties: { owner: { type: 'string', description: `default owner ${EMAIL}` } } } } },
    });
    expect(body).not.toContain(EMAIL);
  });
  it('pseudonymizes a key in a message `name`', async () => {
    expect(await viaOpenAi([{ role: 'user', name: AWS_ID, content: 'hi' }])).not.toContain(AWS_ID);
  });
  it('(control) keeps `user`, `metadata` and a schema without personal data as sent', async () => {
    const body = await viaOpenAi([{ role: 'user', content: 'hi' }], { user: 'user-1234', metadata: { team: 'billing' }, response_format: { type: 'json_schema', json_schema: { name: 't', schema: { type: 'object', description: 'A ticket.' } } } });
    const sent = JSON.parse(body);
    expect(sent.user).toBe('user-1234');
    expect(sent.metadata).toEqual({ team: 'billing' });
    expect(sent.response_format.json_schema.schema.description).toBe('A ticket.');
  });
});

describe('Anthropic request fields the adapter did not read', () => {
  it('pseudonymizes an e-mail address in `metadata.user_id`', async () => {
    expect(await viaAnthropic([{ role: 'user', content: 'hi' }], { metadata: { user_id: EMAIL } })).not.toContain(EMAIL);
  });
  it('pseudonymizes a key in an assistant prefill', async () => {
    expect(await viaAnthropic([{ role: 'user', content: 'Print the key.' }, { role: 'assistant', content: `The key is ${AWS_ID}` }])).not.toContain(AWS_ID);
  });
  it('pseudonymizes an e-mail address in a system text block with cache_control', async () => {
    expect(await viaAnthropic([{ role: 'user', content: 'hi' }], { system: [{ type: 'text', text: `Customer: ${EMAIL}`, cache_control: { type: 'ephemeral' } }] })).not.toContain(EMAIL);
  });
  it('(control) keeps a `metadata.user_id` that is an opaque id', async () => {
    const body = JSON.parse(await viaAnthropic([{ role: 'user', content: 'hi' }], { metadata: { user_id: '2f1c9a7e-user' } }));
    expect(body.metadata.user_id).toBe('2f1c9a7e-user');
  });
});

describe('encodings', () => {
  it('zero-width characters inside a key: the key is not rebuilt in clear when they are stripped', async () => {
    const split = `${AWS_ID.slice(0, 8)}\u200b${AWS_ID.slice(8)}`;
    const body = await viaOpenAi([{ role: 'user', content: `my key is ${split}` }]);
    expect(body).not.toContain(AWS_ID);
  });
  it('zero-width characters inside an e-mail address', async () => {
    const body = await viaOpenAi([{ role: 'user', content: `write to jane.roe@\u200dexample.org` }]);
    expect(body).not.toContain(EMAIL);
  });
  it('a word joiner inside a PEM header', async () => {
    const body = await viaOpenAi([{ role: 'user', content: PEM.replace('PRIVATE KEY-----\n', 'PRIVATE\u2060 KEY-----\n') }]);
    expect(body).not.toContain(PEM_BODY[0]);
  });
  it('full-width key', async () => {
    const wide = [...AWS_ID].map((c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).join('');
    expect(await leaks(`key: ${wide}`, wide)).toBe(false);
  });
  it('AWS secret in PHP-style JSON with escaped slashes (\\/)', async () => {
    const escaped = 'q9Xv2LmN8p/Rt4YwZ6kJh3sDf1aBc5e/Gi9oUyT7r'.replace(/\//g, '\\/');
    const text = `{"aws_access_key_id":"${AWS_ID}","aws_secret_access_key":"${escaped}"}`;
    const body = await viaOpenAi([{ role: 'user', content: text }]);
    expect(body).not.toContain(JSON.stringify(escaped).slice(1, -1));
  });
  it('a key in a JSON text with \\u escapes (\\u0041KIA…)', async () => {
    const text = `{"AccessKeyId":"\\u0041${AWS_ID.slice(1)}"}`;
    expect(await leaks(text, `\\u0041${AWS_ID.slice(1)}`)).toBe(false);
  });
  it('URL-encoded password assignment in a query string', async () => {
    const pw = 'Xy7%21kP2%23qL9mR4';
    expect(await leaks(`GET /login?user=admin&password=${pw}`, pw)).toBe(false);
  });
  it('a base64-encoded PEM private key (kubeconfig client-key-data)', async () => {
    const b64 = Buffer.from(`${PEM}\n`).toString('base64');
    expect(await leaks(`users:\n- name: admin\n  user:\n    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t\n    client-key-data: ${b64}\n`, b64)).toBe(false);
  });
  it('a base64-encoded .env (echo … | base64 -d), and the same .env hex-encoded', async () => {
    const env = `AWS_ACCESS_KEY_ID=${AWS_ID}\nAWS_SECRET_ACCESS_KEY=${AWS_SECRET}\n`;
    const b64 = Buffer.from(env).toString('base64');
    expect(await leaks(`echo ${b64} | base64 -d > .env`, b64)).toBe(false);
    const hex = Buffer.from(env).toString('hex');
    expect(await leaks(`printf ${hex} | xxd -r -p > .env`, hex)).toBe(false);
  });
  it('(control) base64 of ordinary text passes as sent', async () => {
    const prose = Buffer.from('The quarterly report is attached; the numbers look good and the team did great work this quarter.').toString('base64');
    expect(await leaks(`decode this: ${prose}`, prose)).toBe(true);
  });
});

describe('credential formats', () => {
  const formats: [string, string, string][] = [
    ['Slack webhook', 'https://hooks.slack.com/services/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', 'https://hooks.slack.com/services/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'],
    ['Discord bot token in a header', 'Authorization: Bot MTE4NzY1NDMyMTA5ODc2NTQzMg.GhT9xK.q8Zp3LmN7vRt2YwX6kJh4sDf1aBc5eGi9oUy', 'MTE4NzY1NDMyMTA5ODc2NTQzMg.GhT9xK.q8Zp3LmN7vRt2YwX6kJh4sDf1aBc5eGi9oUy'],
    ['Azure Service Bus connection string', 'Endpoint=sb://acme-prod.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=55MvtlrjBlzilV4XIBBNKcLTINdCG7fmjIFDspJP4Gg=', '55MvtlrjBlzilV4XIBBNKcLTINdCG7fmjIFDspJP4Gg='],
    ['Azure SQL connection string', 'Server=tcp:acme.database.windows.net,1433;Database=crm;User ID=crmadmin;Password=Xy7!kP2#qL9mR4;Encrypt=True;', 'Xy7!kP2#qL9mR4'],
    ['Twilio auth token', 'TWILIO_ACCOUNT_SID=AC5e3f1d2c4b6a79880f1e2d3c4b5a6978\nTWILIO_AUTH_TOKEN=b13d8bc06bf8e844f69c3edcfa3dda67', 'b13d8bc06bf8e844f69c3edcfa3dda67'],
    ['SendGrid key', 'SENDGRID_API_KEY=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', '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'],
    ['Mailgun key', 'MAILGUN_API_KEY=b13d8bc06bf8e844f69c3edcfa3dda67-1a2b3c4d-5e6f7a8b', 'b13d8bc06bf8e844f69c3edcfa3dda67-1a2b3c4d-5e6f7a8b'],
    ['Shopify token', 'X-Shopify-Access-Token: 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', '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'],
    ['PEM key with Windows line endings', PEM.replace(/\n/g, '\r\n'), PEM_BODY[1]!],
    ['.npmrc _authToken', '//registry.npmjs.org/:_authToken=npm_16IYne45hTQz2zBP1Wd7JLPnitdbWW9wzDuj', 'npm_16IYne45hTQz2zBP1Wd7JLPnitdbWW9wzDuj'],
    ['.npmrc _auth (base64 user:password)', 'registry=https://acme.jfrog.io/artifactory/api/npm/npm/\n_auth=ZGVwbG95LWJvdDp6cHVuTUltekE2Y1VyRkZFdW01WQ==\nalways-auth=true', 'ZGVwbG95LWJvdDp6cHVuTUltekE2Y1VyRkZFdW01WQ=='],
    ['Docker config.json auth', '{"auths":{"registry.acme.io":{"auth":"ZGVwbG95LWJvdDp6cHVuTUltekE2Y1VyRkZFdW01WQ=="}}}', 'ZGVwbG95LWJvdDp6cHVuTUltekE2Y1VyRkZFdW01WQ=='],
    ['.netrc', 'machine api.heroku.com\n  login jane@example.org\n  password 9f3b2c1d-4e5f-6a7b-8c9d-0e1f2a3b4c5d', '9f3b2c1d-4e5f-6a7b-8c9d-0e1f2a3b4c5d'],
    ['.netrc one line', 'machine github.com login deploy password Xy7kP2qL9mR4vT8w', 'Xy7kP2qL9mR4vT8w'],
    ['basic auth in a URL', 'git remote add origin https://deploy:Xy7kP2qL9mR4vT8w@git.acme.io/app.git', 'Xy7kP2qL9mR4vT8w'],
    ['Redis URL with an empty user', 'REDIS_URL=redis://:Xy7kP2qL9mR4vT8w@cache.acme.io:6379/0', 'Xy7kP2qL9mR4vT8w'],
    ['Bearer header pasted in a message', 'it fails with Authorization: Bearer 16IYne45hTQz2zBP1Wd7JLPnitdbWW9wzDujg1cC', '16IYne45hTQz2zBP1Wd7JLPnitdbWW9wzDujg1cC'],
    ['GCP service account JSON', `{"type": "service_account", "project_id": "acme", "private_key_id": "b13d8bc06bf8e844f69c3edcfa3dda6712345678", "private_key": ${JSON.stringify(`${PEM}\n`)}, "client_email": "svc@acme.iam.gserviceaccount.com"}`, PEM_BODY[0]!],
    ['Google OAuth refresh token', 'GOOGLE_REFRESH_TOKEN=1//0gq9Xv2LmN8pRtCgYIARAAGBASNwF-L9IrT4YwZ6kJh3sDf1aBc5eGi9oUyT7rE3wQ2zX8cV4bN6mL0kJ1hG5fD3', '1//0gq9Xv2LmN8pRtCgYIARAAGBASNwF-L9IrT4YwZ6kJh3sDf1aBc5eGi9oUyT7rE3wQ2zX8cV4bN6mL0kJ1hG5fD3'],
    ['PuTTY private key', 'PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nComment: deploy\nPublic-Lines: 2\nAAAAB3NzaC1yc2EAAAABJQAAAQEAq9Xv2LmN8pRt4YwZ6kJh3sDf1aBc5eGi9oUy\nT7rE3wQ2zX8cV4bN6mL0kJ1hG5fD3\nPrivate-Lines: 2\nAAABAQCKq9Xv2LmN8pRt4YwZ6kJh3sDf1aBc5eGi9oUyT7rE3wQ2zX8cV4bN6mL0\nkJ1hG5fD3q9Xv2LmN8pRt4YwZ6kJh3s\nPrivate-MAC: b13d8bc06bf8e844f69c3edcfa3dda6712345678', 'AAABAQCKq9Xv2LmN8pRt4YwZ6kJh3sDf1aBc5eGi9oUyT7rE3wQ2zX8cV4bN6mL0'],
  ];
  for (const [name, text, value] of formats) {
    it(`pseudonymizes a ${name}`, async () => {
      expect(await leaks(text, value)).toBe(false);
    });
  }
});

describe('personal data formats', () => {
  const values: [string, string, string][] = [
    ['plus-addressed e-mail', 'mail jane.roe+billing@example.org', 'jane.roe+billing@example.org'],
    ['e-mail with an IDN domain', 'mail jane@müller-bau.de', 'jane@müller-bau.de'],
    ['e-mail with a non-ASCII local part', 'mail jörg.müller@example.de', 'jörg.mü'],
    ['Cyrillic e-mail', 'пишите на иван@пример.рф', 'иван'],
    ['e-mail in a mailto link', 'see <a href="mailto:jane.roe@example.org?subject=Hi">', 'jane.roe@example.org'],
    ['UK phone, E.164 with spaces', 'call +44 20 7946 0958', '+44 20 7946 0958'],
    ['UK phone, 00 prefix', 'call 0044 20 7946 0958', '0044 20 7946 0958'],
    ['Russian phone', 'call +7 495 123-45-67', '+7 495 123-45-67'],
    ['Polish phone', 'call +48 22 123 45 67', '+48 22 123 45 67'],
    ['Mexican mobile', 'call +52 1 55 1234 5678', '+52 1 55 1234 5678'],
    ['US phone with dots', 'call 415.555.0132 tomorrow', '415.555.0132'],
    ['IBAN with spaces', 'IBAN DE89 3704 0044 0532 0130 00', 'DE89 3704 0044 0532 0130 00'],
    ['IBAN lower case', 'iban gb82west12345698765432', 'gb82west12345698765432'],
    ['IBAN with dashes', 'IBAN FR76-3000-6000-0112-3456-7890-189', 'FR76-3000-6000-0112-3456-7890-189'],
    ['card with dots', 'card 4111.1111.1111.1111', '4111.1111.1111.1111'],
    ['card with spaces in 4-6-5 (Amex)', 'amex 3782 822463 10005', '3782 822463 10005'],
    ['SSN with spaces', 'my SSN is 536 22 8726', '536 22 8726'],
    ['SSN bare with context', 'SSN: 536228726', '536228726'],
  ];
  for (const [name, text, value] of values) {
    it(`pseudonymizes a ${name}`, async () => {
      expect(await leaks(text, value)).toBe(false);
    });
  }
});

describe('controls: ordinary text passes as written', () => {
  const texts = [
    'the machine room login screen password field is broken',
    'machine learning login flow: the password reset mail never arrives',
    '東京（とうきょう）：ＡＢＣ　ストア、営業時間１０：００〜',
    '{"url":"https:\\/\\/example.com\\/docs\\/a.html","title":"caf\\u00e9 \\u0041BC"}',
    'auth: required\n"auth": "oauth2"',
    'client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUN5RENDQWJDZ0F3SUJBZ0lCQURBTkJna3Foa2lHOXcwQkFRc0ZBREFWTVJNd0VRWURWUVFERXdwcmRXSmwK',
    'Grüße aus München, café au lait, naïve résumé',
  ];
  for (const text of texts) {
    it(`keeps ${JSON.stringify(text.slice(0, 40))}`, async () => {
      const body = JSON.parse(await viaOpenAi([{ role: 'user', content: text }]));
      expect(body.messages[0].content).toBe(text);
    });
  }
  it('keeps the address part of a CJK sentence out of the e-mail placeholder', async () => {
    const body = JSON.parse(await viaOpenAi([{ role: 'user', content: '連絡先はjane.roe@example.orgです' }]));
    expect(body.messages[0].content).toMatch(/^連絡先は<EMAIL_\d+>です$/);
  });
  it('a zero-width joiner in an emoji sequence is stripped as before', async () => {
    const body = JSON.parse(await viaOpenAi([{ role: 'user', content: 'dev: 👩\u200d💻 ok' }]));
    expect(body.messages[0].content).toBe('dev: 👩💻 ok');
  });
});
