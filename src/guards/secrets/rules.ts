import { charClasses, looksLikePlaceholder, shannonEntropy } from './entropy.js';

/**
 * One credential format, written from the provider's documented token format. Every pattern starts
 * with a literal prefix or a keyword and has bounded repetitions only: matching is linear in the input.
 * A rule whose matches all hold one of its keywords and are of bounded length runs only near its
 * keywords (proven from the pattern by core/regex-bounds.ts; see createSecretsDetector).
 */
export interface SecretRule {
  /** Finding type suffix: `secret.<id>`. */
  readonly id: string;
  readonly provider: string;
  /**
   * Lower-case literals, one of which must occur in the lower-cased text for the rule to run. Every
   * match must hold one of them (test/guards/secrets checks it from the pattern), unless the rule is
   * one whose keywords are deliberately context (CONTEXT_KEYWORD_RULES).
   */
  readonly keywords: readonly string[];
  /** Global regex. Group `s`, when present, is the secret itself; otherwise the whole match. */
  readonly re: RegExp;
  readonly score: number;
  /** Minimum Shannon entropy (bits/char) of the secret. */
  readonly minEntropy?: number;
  /** Extra check on the secret (checksum, structure). */
  readonly validate?: (secret: string, match: RegExpExecArray, text: string) => boolean;
  /** Score for this secret when it differs from `score` (e.g. a verified checksum). */
  readonly scoreOf?: (secret: string) => number;
  /** Keep obvious fakes (`xxxx`, `${VAR}`); only for formats where the structure alone is proof. */
  readonly allowPlaceholders?: boolean;
}

const B = '(?<![A-Za-z0-9_-])';
const E = '(?![A-Za-z0-9_-])';
const rx = (source: string, flags = 'g'): RegExp => new RegExp(source, flags);

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
function crc32(s: string): number {
  let c = 0xffffffff;
  for (let i = 0; i < s.length; i++) c = CRC_TABLE[(c ^ s.charCodeAt(i)) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** GitHub's token format: 30 random base62 characters, then their CRC32 in 6 base62 digits. */
export function githubChecksumValid(token: string): boolean {
  const body = token.slice(token.indexOf('_') + 1);
  if (body.length !== 36) return false;
  let n = crc32(body.slice(0, 30));
  let enc = '';
  for (let i = 0; i < 6; i++) {
    enc = B62[n % 62]! + enc;
    n = Math.floor(n / 62);
  }
  return enc === body.slice(30);
}

function jwtValid(token: string): boolean {
  const parts = token.split('.');
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as unknown;
    return typeof header === 'object' && header !== null;
  } catch {
    // Truncated or hand-edited tokens still carry the recognizable `eyJ…` JSON header prefix.
    return /^eyJ[A-Za-z0-9_-]{8,}$/.test(parts[0]!) && /^eyJ[A-Za-z0-9_-]{8,}/.test(parts[1] ?? '');
  }
}

function basicAuthValid(b64: string): boolean {
  const decoded = Buffer.from(b64, 'base64').toString('latin1');
  const colon = decoded.indexOf(':');
  return colon > 0 && /^[\x20-\x7e]+$/.test(decoded.slice(0, colon));
}

/** Password in `scheme://user:password@host`: not a template, not a plain word like `password`. */
function urlPasswordValid(password: string): boolean {
  if (/^(?:pass(?:word)?|passwd|pwd|secret|token|test|yyy|xxx|\*+|user(?:name)?|\$.*|%.*|\{.*|<.*|\[.*|:.*)$/i.test(password)) return false;
  return !looksLikePlaceholder(password) && password.length >= 3;
}

/** A provider keyword near a 32/40/64-character key: `DATADOG_API_KEY=…`. */
function keyed(id: string, provider: string, words: string[], valueRe: string, score = 0.85, minEntropy = 3): SecretRule {
  return {
    id,
    provider,
    keywords: words.map((w) => w.toLowerCase()),
    // Assignment in any common syntax: `KEY=v`, `key: v`, `key := v`, `"key": "v"`, `<key>v<`, `("key", "v")`.
    re: rx(`(?:${words.join('|')})[A-Za-z0-9_.-]{0,24}["']?\\s{0,4}(?::{1,3}=|=>|\\?=|=|:|>|,)\\s{0,4}["'\`]?(?<s>${valueRe})${E}`, 'gi'),
    score,
    minEntropy,
  };
}

export const SECRET_RULES: readonly SecretRule[] = [
  // AI providers
  { id: 'openai_api_key', provider: 'OpenAI', keywords: ['t3blbkfj'], re: rx(`${B}sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{16,200}T3BlbkFJ[A-Za-z0-9_-]{16,200}${E}`), score: 0.99 },
  { id: 'openai_api_key', provider: 'OpenAI', keywords: ['sk-proj-', 'sk-svcacct-', 'sk-admin-'], re: rx(`${B}sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{80,200}${E}`), score: 0.95, minEntropy: 4 },
  { id: 'anthropic_api_key', provider: 'Anthropic', keywords: ['sk-ant-'], re: rx(`${B}sk-ant-(?:api|admin|sid)\\d{2}-[A-Za-z0-9_-]{80,110}AA${E}`), score: 0.99 },
  { id: 'openrouter_api_key', provider: 'OpenRouter', keywords: ['sk-or-'], re: rx(`${B}sk-or-v1-[a-f0-9]{64}${E}`), score: 0.98 },
  { id: 'groq_api_key', provider: 'Groq', keywords: ['gsk_'], re: rx(`${B}gsk_[A-Za-z0-9]{52}${E}`), score: 0.95, minEntropy: 4 },
  { id: 'xai_api_key', provider: 'xAI', keywords: ['xai-'], re: rx(`${B}xai-[A-Za-z0-9]{80}${E}`), score: 0.95, minEntropy: 4 },
  { id: 'perplexity_api_key', provider: 'Perplexity', keywords: ['pplx-'], re: rx(`${B}pplx-[A-Za-z0-9]{48}${E}`), score: 0.95, minEntropy: 4 },
  { id: 'replicate_api_token', provider: 'Replicate', keywords: ['r8_'], re: rx(`${B}r8_[A-Za-z0-9]{37}${E}`), score: 0.9, minEntropy: 4 },
  { id: 'huggingface_token', provider: 'Hugging Face', keywords: ['hf_'], re: rx(`${B}hf_[A-Za-z]{34}${E}`), score: 0.95, minEntropy: 3.5 },
  { id: 'huggingface_token', provider: 'Hugging Face', keywords: ['api_org_'], re: rx(`${B}api_org_[A-Za-z]{34}${E}`), score: 0.95, minEntropy: 3.5 },
  { id: 'langsmith_api_key', provider: 'LangSmith', keywords: ['lsv2_'], re: rx(`${B}lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}${E}`), score: 0.97 },
  keyed('cohere_api_key', 'Cohere', ['cohere', 'co_api_key'], '[A-Za-z0-9]{40}'),
  keyed('mistral_api_key', 'Mistral', ['mistral'], '[A-Za-z0-9]{32}'),
  keyed('azure_openai_key', 'Azure OpenAI', ['azure_openai', 'azure-openai', 'openai_api_key'], '[a-f0-9]{32}'),

  // Cloud
  { id: 'aws_access_key_id', provider: 'AWS', keywords: ['akia', 'asia', 'abia', 'acca', 'a3t'], re: rx(`${B}(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16}${E}`), score: 0.95, validate: (s) => !/EXAMPLE/.test(s) },
  { id: 'aws_secret_access_key', provider: 'AWS', keywords: ['aws', 'secret_access', 'secretaccess'], re: rx(`(?:aws|secret_?access)[A-Za-z0-9_.-]{0,30}["']?\\s{0,4}(?:=|:|:=|=>)\\s{0,4}["']?(?<s>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])`, 'gi'), score: 0.95, minEntropy: 4 },
  { id: 'aws_bedrock_api_key', provider: 'AWS Bedrock', keywords: ['absk'], re: rx(`${B}ABSK[A-Za-z0-9+/]{100,270}={0,2}`), score: 0.95, minEntropy: 3, allowPlaceholders: true },
  { id: 'google_api_key', provider: 'Google', keywords: ['aiza'], re: rx(`${B}AIza[0-9A-Za-z_-]{35}${E}`), score: 0.9 },
  { id: 'google_oauth_client_secret', provider: 'Google', keywords: ['gocspx-'], re: rx(`${B}GOCSPX-[A-Za-z0-9_-]{28}${E}`), score: 0.97 },
  { id: 'google_oauth_access_token', provider: 'Google', keywords: ['ya29.'], re: rx(`${B}ya29\\.[0-9A-Za-z_-]{30,300}`), score: 0.9, minEntropy: 4 },
  { id: 'gcp_service_account', provider: 'Google Cloud', keywords: ['service_account'], re: rx(`"type"\\s{0,4}:\\s{0,4}"service_account"`), score: 0.85, allowPlaceholders: true },
  { id: 'azure_ad_client_secret', provider: 'Azure', keywords: ['q~'], re: rx(`(?<![A-Za-z0-9_~.-])(?<s>[A-Za-z0-9_~.-]{3}\\dQ~[A-Za-z0-9_~.-]{31,34})(?![A-Za-z0-9_~.-])`), score: 0.9, minEntropy: 3.5 },
  { id: 'azure_storage_key', provider: 'Azure', keywords: ['accountkey='], re: rx(`AccountKey=(?<s>[A-Za-z0-9+/]{86}==)`, 'gi'), score: 0.97 },
  { id: 'azure_sas_token', provider: 'Azure', keywords: ['sig='], re: rx(`[?&]sv=\\d{4}-\\d{2}-\\d{2}[^\\s"']{0,300}?&sig=(?<s>[A-Za-z0-9%+/]{40,90}={0,2})`, 'g'), score: 0.85 },
  { id: 'alibaba_access_key_id', provider: 'Alibaba Cloud', keywords: ['ltai'], re: rx(`${B}LTAI[A-Za-z0-9]{20}${E}`), score: 0.9, minEntropy: 3.5 },
  { id: 'tencent_secret_id', provider: 'Tencent Cloud', keywords: ['akid'], re: rx(`${B}AKID[A-Za-z0-9]{32}${E}`), score: 0.9, minEntropy: 3.5 },
  { id: 'digitalocean_token', provider: 'DigitalOcean', keywords: ['dop_v1_', 'doo_v1_', 'dor_v1_'], re: rx(`${B}do[opr]_v1_[a-f0-9]{64}${E}`), score: 0.98 },
  { id: 'cloudflare_origin_ca_key', provider: 'Cloudflare', keywords: ['v1.0-'], re: rx(`${B}v1\\.0-[a-f0-9]{24}-[a-f0-9]{146}${E}`), score: 0.95 },
  keyed('cloudflare_api_token', 'Cloudflare', ['cloudflare', 'cf_api'], '[A-Za-z0-9_-]{40}|[a-f0-9]{37}'),
  { id: 'heroku_api_key', provider: 'Heroku', keywords: ['hrku-'], re: rx(`${B}HRKU-[A-Za-z0-9_-]{60}`), score: 0.95 },
  keyed('heroku_api_key', 'Heroku', ['heroku'], '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'),
  { id: 'flyio_token', provider: 'Fly.io', keywords: ['fo1_', 'fm1', 'fm2'], re: rx(`${B}(?:fo1_[A-Za-z0-9_-]{43}|fm[12][ar]?_[A-Za-z0-9+/]{100,}={0,3})`), score: 0.9, minEntropy: 4 },
  { id: 'databricks_token', provider: 'Databricks', keywords: ['dapi'], re: rx(`${B}dapi[a-f0-9]{32}(?:-\\d)?${E}`), score: 0.95 },
  { id: 'hashicorp_vault_token', provider: 'HashiCorp Vault', keywords: ['hvs.', 'hvb.', 'hvr.'], re: rx(`${B}hv[sbr]\\.[A-Za-z0-9_-]{24,250}`), score: 0.95, minEntropy: 3.5 },
  { id: 'terraform_cloud_token', provider: 'Terraform Cloud', keywords: ['atlasv1'], re: rx(`${B}[A-Za-z0-9]{14}\\.atlasv1\\.[A-Za-z0-9_=-]{60,70}${E}`), score: 0.97 },
  { id: 'pulumi_token', provider: 'Pulumi', keywords: ['pul-'], re: rx(`${B}pul-[a-f0-9]{40}${E}`), score: 0.95 },
  { id: 'doppler_token', provider: 'Doppler', keywords: ['dp.'], re: rx(`${B}dp\\.(?:pt|st|sa|ct|scim|audit)\\.[A-Za-z0-9]{40,44}${E}`), score: 0.95 },
  { id: 'onepassword_token', provider: '1Password', keywords: ['ops_eyj'], re: rx(`${B}ops_eyJ[A-Za-z0-9+/_-]{250,}={0,3}`), score: 0.95 },
  { id: 'supabase_token', provider: 'Supabase', keywords: ['sbp_', 'sb_secret_'], re: rx(`${B}(?:sbp_[a-f0-9]{40}|sb_secret_[A-Za-z0-9_-]{31})${E}`), score: 0.95 },
  { id: 'planetscale_token', provider: 'PlanetScale', keywords: ['pscale_'], re: rx(`${B}pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_.-]{32,64}${E}`), score: 0.95 },

  // Code hosting and packages
  { id: 'github_token', provider: 'GitHub', keywords: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'], re: rx(`${B}gh[pousr]_[A-Za-z0-9]{36}${E}`), score: 0.9, minEntropy: 3.5, scoreOf: (s) => (githubChecksumValid(s) ? 0.99 : 0.9) },
  { id: 'github_fine_grained_pat', provider: 'GitHub', keywords: ['github_pat_'], re: rx(`${B}github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}${E}`), score: 0.99 },
  { id: 'gitlab_token', provider: 'GitLab', keywords: ['glpat-', 'gldt-', 'glrt-', 'glcbt-', 'glptt-', 'glft-', 'glimt-', 'glagent-', 'gloas-', 'glsoat-', 'glffct-'], re: rx(`${B}(?:glpat|gldt|glrt|glcbt|glptt|glft|glimt|glagent|gloas|glsoat|glffct)-[A-Za-z0-9_-]{20,300}(?:\\.[0-9a-z]{2}\\.[0-9a-z]{7,9})?${E}`), score: 0.95, minEntropy: 3.3 },
  { id: 'gitlab_runner_registration_token', provider: 'GitLab', keywords: ['gr1348941'], re: rx(`${B}GR1348941[A-Za-z0-9_-]{20}${E}`), score: 0.95, minEntropy: 3 },
  { id: 'bitbucket_token', provider: 'Bitbucket', keywords: ['atbb'], re: rx(`${B}ATBB[A-Za-z0-9_=.-]{32,}`), score: 0.9, minEntropy: 3.5 },
  { id: 'atlassian_api_token', provider: 'Atlassian', keywords: ['atatt3', 'atctt3'], re: rx(`${B}AT[AC]TT3[A-Za-z0-9_=-]{180,200}`), score: 0.97 },
  { id: 'npm_token', provider: 'npm', keywords: ['npm_'], re: rx(`${B}npm_[A-Za-z0-9]{36}${E}`), score: 0.95, minEntropy: 3.5 },
  { id: 'pypi_token', provider: 'PyPI', keywords: ['pypi-ageicHlwaS5vcmc'.toLowerCase()], re: rx(`${B}pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}`), score: 0.99 },
  { id: 'rubygems_api_key', provider: 'RubyGems', keywords: ['rubygems_'], re: rx(`${B}rubygems_[a-f0-9]{48}${E}`), score: 0.97 },
  { id: 'nuget_api_key', provider: 'NuGet', keywords: ['oy2'], re: rx(`${B}oy2[a-z0-9]{43}${E}`), score: 0.85, minEntropy: 3.8 },
  { id: 'clojars_token', provider: 'Clojars', keywords: ['clojars_'], re: rx(`${B}CLOJARS_[a-z0-9]{60}${E}`, 'gi'), score: 0.95 },
  { id: 'dockerhub_token', provider: 'Docker Hub', keywords: ['dckr_pat_', 'dckr_oat_'], re: rx(`${B}dckr_(?:pat|oat)_[A-Za-z0-9_-]{27,}`), score: 0.97 },
  { id: 'jfrog_token', provider: 'JFrog', keywords: ['akcp', 'cmvmd'], re: rx(`${B}(?:AKCp[A-Za-z0-9]{69}|cmVmd[A-Za-z0-9]{59})${E}`), score: 0.9, minEntropy: 4 },
  { id: 'postman_api_key', provider: 'Postman', keywords: ['pmak-'], re: rx(`${B}PMAK-[a-f0-9]{24}-[a-f0-9]{34}${E}`, 'gi'), score: 0.97 },
  { id: 'readme_api_key', provider: 'ReadMe', keywords: ['rdme_'], re: rx(`${B}rdme_[a-z0-9]{70}${E}`), score: 0.95, minEntropy: 3.5 },
  { id: 'prefect_api_key', provider: 'Prefect', keywords: ['pnu_'], re: rx(`${B}pnu_[A-Za-z0-9]{36}${E}`), score: 0.95, minEntropy: 3.5 },
  { id: 'harness_pat', provider: 'Harness', keywords: ['pat.'], re: rx(`${B}pat\\.[A-Za-z0-9_-]{22}\\.[0-9a-f]{24}\\.[A-Za-z0-9]{20}${E}`), score: 0.95 },
  { id: 'snyk_token', provider: 'Snyk', keywords: ['snyk'], re: rx(`snyk[A-Za-z0-9_.-]{0,24}["']?\\s{0,4}(?::::=|::=|:=|\\?=|=|:|=>)\\s{0,4}["']?(?<s>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})`, 'gi'), score: 0.9, allowPlaceholders: true },

  // Messaging and collaboration
  { id: 'slack_token', provider: 'Slack', keywords: ['xox'], re: rx(`${B}xox[abeoprs]-(?:\\d-)?[0-9]{6,15}-[0-9A-Za-z-]{8,200}${E}`), score: 0.95, validate: (s) => /-[0-9a-fA-F]{10,}$|-[A-Za-z0-9]{24,}$/.test(s), allowPlaceholders: true },
  { id: 'slack_token', provider: 'Slack', keywords: ['xoxe'], re: rx(`${B}(?:xoxe\\.xox[bp]-1-[A-Za-z0-9]{100,}|xoxe-1-[A-Za-z0-9-]{100,})${E}`), score: 0.97 },
  { id: 'slack_app_token', provider: 'Slack', keywords: ['xapp-'], re: rx(`${B}xapp-\\d-[A-Z0-9]{9,12}-\\d{10,14}-[a-f0-9]{60,70}${E}`, 'gi'), score: 0.98 },
  { id: 'slack_webhook', provider: 'Slack', keywords: ['hooks.slack.com'], re: rx(`https://hooks\\.slack\\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{40,}`), score: 0.97 },
  { id: 'discord_webhook', provider: 'Discord', keywords: ['discord'], re: rx(`https://(?:ptb\\.|canary\\.)?discord(?:app)?\\.com/api/webhooks/\\d{17,20}/[A-Za-z0-9_-]{60,70}`), score: 0.97 },
  { id: 'discord_bot_token', provider: 'Discord', keywords: ['discord', 'bot '], re: rx(`${B}[MNO][A-Za-z0-9_-]{23,25}\\.[A-Za-z0-9_-]{6}\\.[A-Za-z0-9_-]{27,38}${E}`), score: 0.85, minEntropy: 4 },
  { id: 'telegram_bot_token', provider: 'Telegram', keywords: [':aa'], re: rx(`${B}\\d{8,10}:AA[A-Za-z0-9_-]{33}${E}`), score: 0.95 },
  { id: 'twilio_api_key', provider: 'Twilio', keywords: ['sk'], re: rx(`${B}SK[0-9a-fA-F]{32}${E}`), score: 0.85, minEntropy: 3.2 },
  keyed('twilio_auth_token', 'Twilio', ['twilio', 'auth_token'], '[a-f0-9]{32}', 0.85),
  { id: 'sendgrid_api_key', provider: 'SendGrid', keywords: ['sg.'], re: rx(`${B}SG\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}${E}`), score: 0.98 },
  { id: 'mailchimp_api_key', provider: 'Mailchimp', keywords: ['-us'], re: rx(`${B}[0-9a-f]{32}-us\\d{1,2}${E}`), score: 0.95 },
  { id: 'mailgun_api_key', provider: 'Mailgun', keywords: ['key-'], re: rx(`${B}key-[0-9a-zA-Z]{32}${E}`), score: 0.85, minEntropy: 3.5 },
  { id: 'notion_token', provider: 'Notion', keywords: ['ntn_'], re: rx(`${B}ntn_[0-9]{11}[A-Za-z0-9]{35}${E}`), score: 0.95, minEntropy: 3.5, validate: (s) => /[A-Za-z]/.test(s.slice(15)) },
  { id: 'linear_api_key', provider: 'Linear', keywords: ['lin_api_'], re: rx(`${B}lin_api_[A-Za-z0-9]{40}${E}`), score: 0.97 },
  { id: 'figma_token', provider: 'Figma', keywords: ['figd_'], re: rx(`${B}figd_[A-Za-z0-9_-]{40}${E}`), score: 0.95 },
  { id: 'airtable_token', provider: 'Airtable', keywords: ['pat'], re: rx(`${B}pat[A-Za-z0-9]{14}\\.[a-f0-9]{64}${E}`), score: 0.95 },
  { id: 'typeform_token', provider: 'Typeform', keywords: ['tfp_'], re: rx(`${B}tfp_[A-Za-z0-9_.=-]{59}${E}`), score: 0.95 },
  { id: 'contentful_token', provider: 'Contentful', keywords: ['cfpat-'], re: rx(`${B}CFPAT-[A-Za-z0-9_-]{43}${E}`), score: 0.97 },
  { id: 'facebook_access_token', provider: 'Facebook', keywords: ['eaa'], re: rx(`${B}EAA[A-Za-z0-9]{4}[A-Za-z0-9]{60,}`), score: 0.85, minEntropy: 4, validate: (s) => !s.startsWith('EAAA') || s.length > 60 },
  { id: 'facebook_app_token', provider: 'Facebook', keywords: ['|'], re: rx(`${B}\\d{15,16}\\|[A-Za-z0-9_-]{27}${E}`), score: 0.85 },
  { id: 'twitter_bearer_token', provider: 'X (Twitter)', keywords: ['aaaaaaaaaaaaaaaaaaaaa'], re: rx(`${B}A{22}[A-Za-z0-9%]{80,120}`), score: 0.9, allowPlaceholders: true },

  // Payments and commerce
  { id: 'stripe_secret_key', provider: 'Stripe', keywords: ['sk_live_', 'sk_test_', 'rk_live_', 'rk_test_'], re: rx(`${B}[sr]k_(?:live|test)_[A-Za-z0-9]{20,247}${E}`), score: 0.97, minEntropy: 3.5 },
  { id: 'stripe_webhook_secret', provider: 'Stripe', keywords: ['whsec_'], re: rx(`${B}whsec_[A-Za-z0-9+/]{32,}={0,2}`), score: 0.95, minEntropy: 3.5 },
  { id: 'square_token', provider: 'Square', keywords: ['sq0atp-', 'sq0csp-', 'eaaa'], re: rx(`${B}(?:sq0atp-[0-9A-Za-z_-]{22}|sq0csp-[0-9A-Za-z_-]{43}|EAAA[A-Za-z0-9_-]{60})${E}`), score: 0.95 },
  { id: 'shopify_token', provider: 'Shopify', keywords: ['shpat_', 'shpca_', 'shppa_', 'shpss_'], re: rx(`${B}shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}${E}`), score: 0.98 },
  { id: 'flutterwave_key', provider: 'Flutterwave', keywords: ['flwseck', 'flwpubk'], re: rx(`${B}FLWSECK(?:_TEST)?-[a-h0-9]{32}-X${E}`), score: 0.97 },
  { id: 'shippo_token', provider: 'Shippo', keywords: ['shippo_'], re: rx(`${B}shippo_(?:live|test)_[a-f0-9]{40}${E}`), score: 0.97 },
  { id: 'duffel_token', provider: 'Duffel', keywords: ['duffel_'], re: rx(`${B}duffel_(?:test|live)_[A-Za-z0-9_=-]{43}${E}`), score: 0.97 },
  { id: 'easypost_api_key', provider: 'EasyPost', keywords: ['ezak', 'eztk'], re: rx(`${B}EZ[AT]K[A-Za-z0-9]{54}${E}`), score: 0.95 },

  // Observability
  keyed('datadog_api_key', 'Datadog', ['datadog', 'dd_api_key', 'dd_app_key', 'dd-api-key', 'dd-application-key'], '[a-f0-9]{32}|[a-f0-9]{40}|[A-Za-z0-9]{40}'),
  { id: 'sentry_token', provider: 'Sentry', keywords: ['sntrys_', 'sntryu_'], re: rx(`${B}(?:sntrys_eyJ[A-Za-z0-9+/=_-]{60,400}|sntryu_[a-f0-9]{64})`), score: 0.97 },
  { id: 'grafana_token', provider: 'Grafana', keywords: ['glc_', 'glsa_'], re: rx(`${B}(?:glc_[A-Za-z0-9+/]{32,400}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})`), score: 0.95, minEntropy: 3.5 },
  { id: 'newrelic_key', provider: 'New Relic', keywords: ['nrak-', 'nrii-', 'nrjs-'], re: rx(`${B}(?:NRAK-[A-Z0-9]{27}|NRII-[A-Za-z0-9_-]{32}|NRJS-[a-f0-9]{19})${E}`), score: 0.95 },
  { id: 'dynatrace_token', provider: 'Dynatrace', keywords: ['dt0c01.'], re: rx(`${B}dt0c01\\.[A-Z0-9]{24}\\.[A-Z0-9]{64}${E}`), score: 0.98 },
  {
    id: 'sumologic_key',
    provider: 'Sumo Logic',
    keywords: ['sumo'],
    re: rx(`sumo(?:logic)?[_.-][A-Za-z0-9_.-]{0,24}["']?\\s{0,4}(?:=|:|:=)\\s{0,4}["']?(?<s>su[A-Za-z0-9]{12}|[A-Za-z0-9]{64})${E}`, 'gi'),
    score: 0.9,
    minEntropy: 3,
  },
  keyed('honeycomb_api_key', 'Honeycomb', ['honeycomb'], '[A-Za-z0-9]{22}|[a-f0-9]{32}'),


  // More providers with prefixed formats
  { id: 'onepassword_secret_key', provider: '1Password', keywords: ['a3-'], re: rx(`${B}A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}${E}`), score: 0.95 },
  { id: 'intra42_client_secret', provider: '42 Intra', keywords: ['s-s4t2'], re: rx(`${B}s-s4t2(?:ud|af)-[a-f0-9]{64}${E}`), score: 0.97 },
  { id: 'openshift_user_token', provider: 'OpenShift', keywords: ['sha256~'], re: rx(`${B}sha256~[A-Za-z0-9_-]{43}${E}`), score: 0.95 },
  { id: 'octopus_api_key', provider: 'Octopus Deploy', keywords: ['api-'], re: rx(`${B}API-[A-Z0-9]{26}${E}`), score: 0.85, minEntropy: 3.5 },
  keyed('octopus_api_key', 'Octopus Deploy', ['octopus'], '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}'),
  { id: 'hashicorp_vault_token', provider: 'HashiCorp Vault', keywords: ['s.'], re: rx(`(?:vault|token)[A-Za-z0-9_.-]{0,20}["']?\\s{0,4}[:=]\\s{0,4}["']?(?<s>s\\.[A-Za-z0-9]{24})${E}`, 'gi'), score: 0.85, minEntropy: 3.5 },
  { id: 'brevo_api_key', provider: 'Brevo (Sendinblue)', keywords: ['xkeysib-', 'xsmtpsib-'], re: rx(`${B}x(?:keysib|smtpsib)-[a-f0-9]{64}-[A-Za-z0-9]{16}${E}`), score: 0.98 },
  { id: 'sonarqube_token', provider: 'SonarQube', keywords: ['sqp_', 'squ_', 'sqa_'], re: rx(`${B}sq[pua]_[a-f0-9]{40}${E}`), score: 0.95 },
  { id: 'mapbox_secret_token', provider: 'Mapbox', keywords: ['sk.eyj'], re: rx(`${B}sk\\.eyJ[A-Za-z0-9_-]{50,}\\.[A-Za-z0-9_-]{20,}`), score: 0.95 },
  { id: 'circleci_token', provider: 'CircleCI', keywords: ['ccipat_'], re: rx(`${B}CCIPAT_[A-Za-z0-9]{22}_[a-f0-9]{40}${E}`), score: 0.97 },
  keyed('circleci_token', 'CircleCI', ['circleci', 'circle_token', 'circle-token'], '[a-f0-9]{40}'),
  { id: 'netlify_token', provider: 'Netlify', keywords: ['nfp_'], re: rx(`${B}nfp_[A-Za-z0-9]{36}${E}`), score: 0.95, minEntropy: 3.5 },
  keyed('netlify_token', 'Netlify', ['netlify'], '[A-Za-z0-9_-]{40,46}'),
  { id: 'render_api_key', provider: 'Render', keywords: ['rnd_'], re: rx(`${B}rnd_[A-Za-z0-9]{32}${E}`), score: 0.9, minEntropy: 3.5 },
  keyed('vercel_token', 'Vercel', ['vercel'], '[A-Za-z0-9]{24}'),
  keyed('algolia_api_key', 'Algolia', ['algolia'], '[a-f0-9]{32}'),
  keyed('hubspot_api_key', 'HubSpot', ['hubspot'], '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|pat-(?:na|eu)1-[0-9a-f-]{36}', 0.85, 2.5),
  keyed('messagebird_api_key', 'MessageBird', ['messagebird', 'message_bird', 'message-bird'], '[A-Za-z0-9]{25}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}', 0.85, 2.5),
  keyed('okta_api_token', 'Okta', ['okta'], '00[A-Za-z0-9_-]{40}'),
  keyed('launchdarkly_key', 'LaunchDarkly', ['launchdarkly', 'ld_sdk', 'ld_api'], '(?:api|sdk|mob)-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}'),
  keyed('zendesk_api_token', 'Zendesk', ['zendesk'], '[A-Za-z0-9]{40}'),
  keyed('pagerduty_api_key', 'PagerDuty', ['pagerduty', 'pager_duty'], '[A-Za-z0-9_+-]{20}'),
  keyed('fastly_api_token', 'Fastly', ['fastly'], '[A-Za-z0-9_-]{32}'),
  keyed('twitch_api_token', 'Twitch', ['twitch'], '[a-z0-9]{30}'),
  keyed('bitly_token', 'Bitly', ['bitly'], '[a-f0-9]{40}'),
  keyed('asana_token', 'Asana', ['asana'], '[0-9]/[0-9]{10,20}(?:/[0-9]{10,20})?:[A-Za-z0-9]{32}|[0-9]{16}|[a-z0-9]{32}'),
  keyed('travis_ci_token', 'Travis CI', ['travis'], '[A-Za-z0-9_-]{22}'),
  keyed('codecov_token', 'Codecov', ['codecov'], '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}', 0.85, 2.5),
  keyed('lob_api_key', 'Lob', ['lob_', 'lob-'], '(?:live|test)_[a-f0-9]{35}'),
  keyed('gocardless_token', 'GoCardless', ['gocardless'], '(?:live|sandbox)_[A-Za-z0-9_=-]{40}'),
  keyed('coinbase_api_key', 'Coinbase', ['coinbase'], '[A-Za-z0-9_-]{64}'),
  keyed('confluent_api_key', 'Confluent', ['confluent'], '[A-Za-z0-9+/]{64}'),
  keyed('sendbird_token', 'Sendbird', ['sendbird'], '[a-f0-9]{40}'),
  keyed('intercom_token', 'Intercom', ['intercom'], '[A-Za-z0-9=_-]{60}'),
  keyed('mapbox_secret_token', 'Mapbox', ['mapbox'], 'sk\\.[A-Za-z0-9._-]{80,}'),
  keyed('nytimes_api_key', 'New York Times', ['nytimes', 'new_york_times'], '[A-Za-z0-9=_-]{32}'),
  { id: 'plaid_token', provider: 'Plaid', keywords: ['access-sandbox-', 'access-development-', 'access-production-'], re: rx(`${B}access-(?:sandbox|development|production)-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}${E}`), score: 0.97 },
  { id: 'adafruit_io_key', provider: 'Adafruit IO', keywords: ['aio_'], re: rx(`${B}aio_[A-Za-z0-9]{28}${E}`), score: 0.9, minEntropy: 3.5 },
  { id: 'yandex_token', provider: 'Yandex', keywords: ['aqvn', 'y0_', 'y1_', 'y2_', 'y3_'], re: rx(`${B}(?:AQVN[A-Za-z0-9_-]{35,38}|y[0-3]_[A-Za-z0-9_-]{55})${E}`), score: 0.9, minEntropy: 3.5 },
  { id: 'infracost_api_key', provider: 'Infracost', keywords: ['ico-'], re: rx(`${B}ico-[A-Za-z0-9]{32}${E}`), score: 0.9, minEntropy: 3.5 },
  { id: 'scalingo_token', provider: 'Scalingo', keywords: ['tk-us-'], re: rx(`${B}tk-us-[A-Za-z0-9_-]{48}${E}`), score: 0.95 },
  { id: 'frameio_token', provider: 'Frame.io', keywords: ['fio-u-'], re: rx(`${B}fio-u-[A-Za-z0-9_=-]{64}${E}`), score: 0.95 },
  { id: 'dropbox_token', provider: 'Dropbox', keywords: ['sl.'], re: rx(`${B}sl\\.(?:u\\.)?[A-Za-z0-9_-]{130,1100}`), score: 0.9, minEntropy: 4 },
  { id: 'settlemint_token', provider: 'SettleMint', keywords: ['sm_pat_', 'sm_aat_', 'sm_sat_'], re: rx(`${B}sm_(?:pat|aat|sat)_[A-Za-z0-9]{16}${E}`), score: 0.9, minEntropy: 3 },
  { id: 'authress_key', provider: 'Authress', keywords: ['.acc'], re: rx(`${B}(?:sc|ext|scauth|authress)_[a-z0-9]{5,30}\\.[a-z0-9]{4,6}\\.acc[_-][a-z0-9-]{10,32}\\.[A-Za-z0-9+/_=-]{30,120}`), score: 0.95 },
  { id: 'private_ai_token', provider: 'Private AI', keywords: ['privateai', 'private_ai', 'private-ai'], re: rx(`private[_-]?ai[A-Za-z0-9_.-]{0,20}["']?\\s{0,4}[:=]\\s{0,4}["']?(?<s>[a-z0-9]{32})${E}`, 'gi'), score: 0.85, minEntropy: 3 },

  { id: 'adobe_client_secret', provider: 'Adobe', keywords: ['p8e-'], re: rx(`${B}p8e-[A-Za-z0-9]{32}${E}`, 'gi'), score: 0.95, minEntropy: 3.5 },
  keyed('adobe_client_id', 'Adobe', ['adobe'], '[a-f0-9]{32}'),
  keyed('beamer_api_token', 'Beamer', ['beamer'], 'b_[A-Za-z0-9=_-]{44}'),
  keyed('bittrex_key', 'Bittrex', ['bittrex'], '[a-z0-9]{32}'),
  keyed('cisco_meraki_api_key', 'Cisco Meraki', ['meraki'], '[0-9a-f]{40}'),
  { id: 'clickhouse_cloud_key', provider: 'ClickHouse Cloud', keywords: ['4b1d'], re: rx(`${B}4b1d[A-Za-z0-9]{38}${E}`), score: 0.9, minEntropy: 3.5 },
  { id: 'defined_networking_key', provider: 'Defined Networking', keywords: ['dnkey-'], re: rx(`${B}dnkey-[a-z0-9=_-]{26}-[a-z0-9=_-]{52}${E}`), score: 0.97 },
  keyed('droneci_token', 'Drone CI', ['drone'], '[a-z0-9]{32}'),
  keyed('etsy_api_key', 'Etsy', ['etsy'], '[a-z0-9]{24}'),
  keyed('finicity_key', 'Finicity', ['finicity'], '[a-f0-9]{32}|[a-z0-9]{20}'),
  keyed('finnhub_token', 'Finnhub', ['finnhub'], '[a-z0-9]{20}'),
  keyed('flickr_token', 'Flickr', ['flickr'], '[a-z0-9]{32}'),
  { id: 'freemius_secret_key', provider: 'Freemius', keywords: ['secret_key'], re: rx(`["']secret_key["']\\s{0,4}=>\\s{0,4}["'](?<s>sk_[^\\s"']{29})["']`, 'gi'), score: 0.9 },
  keyed('gitter_token', 'Gitter', ['gitter'], '[a-z0-9_-]{40}'),
  keyed('kraken_key', 'Kraken', ['kraken'], '[A-Za-z0-9/=_+-]{80,90}'),
  keyed('kucoin_key', 'KuCoin', ['kucoin'], '[a-f0-9]{24}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'),
  keyed('linkedin_client_secret', 'LinkedIn', ['linkedin', 'linked_in', 'linked-in'], '[A-Za-z0-9]{16}|[A-Za-z0-9]{14}'),
  keyed('looker_client_secret', 'Looker', ['looker'], '[A-Za-z0-9]{24}|[A-Za-z0-9]{20}'),
  keyed('mattermost_token', 'Mattermost', ['mattermost'], '[a-z0-9]{26}'),
  { id: 'maxmind_license_key', provider: 'MaxMind', keywords: ['_mmk'], re: rx(`${B}[A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk${E}`), score: 0.97 },
  { id: 'msteams_webhook', provider: 'Microsoft Teams', keywords: ['webhook.office.com'], re: rx(`https://[a-z0-9-]{1,60}\\.webhook\\.office\\.com/webhookb2/[a-z0-9-]{36}@[a-z0-9-]{36}/IncomingWebhook/[a-z0-9]{32}/[a-z0-9-]{36}`, 'gi'), score: 0.97 },
  { id: 'nuget_config_password', provider: 'NuGet', keywords: ['cleartextpassword'], re: rx(`<add key="ClearTextPassword"\\s{1,4}value="(?<s>[^"]{1,128})"`, 'gi'), score: 0.9, validate: (s) => !looksLikePlaceholder(s) },
  keyed('rapidapi_key', 'RapidAPI', ['rapidapi', 'x-rapidapi-key'], '[A-Za-z0-9_-]{50}'),
  { id: 'sourcegraph_token', provider: 'Sourcegraph', keywords: ['sgp_'], re: rx(`${B}sgp_(?:(?:[a-fA-F0-9]{16}|local)_)?[a-fA-F0-9]{40}${E}`), score: 0.95 },
  keyed('squarespace_key', 'Squarespace', ['squarespace'], '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', 0.85, 2.5),
  keyed('twitter_api_secret', 'X (Twitter)', ['twitter'], '[A-Za-z0-9]{50}|[A-Za-z0-9]{25}|[0-9]{15,25}-[A-Za-z0-9]{20,40}'),
  keyed('kubernetes_token', 'Kubernetes', ['kubernetes', 'k8s'], '[a-z0-9]{6}\\.[a-z0-9]{16}'),
  { id: 'terraform_password', provider: 'Terraform', keywords: ['administrator_login_password'], re: rx(`administrator_login_password\\s{0,4}=\\s{0,4}"(?<s>[^"\\s]{8,128})"`, 'gi'), score: 0.9, validate: (s) => !looksLikePlaceholder(s) && !s.startsWith('var.') },
  { id: 'jwt_base64', provider: 'JWT', keywords: ['zxlk'], re: rx(`${B}ZXlK[A-Za-z0-9+/]{40,8000}={0,2}`), score: 0.85, validate: (s) => /^eyJ[A-Za-z0-9_-]{6,}\.eyJ/.test(Buffer.from(s, 'base64').toString('latin1')), allowPlaceholders: true },
  { id: 'azure_devops_pat', provider: 'Azure DevOps', keywords: ['azdo'], re: rx(`${B}[A-Za-z0-9]{76}AZDO[A-Za-z0-9]{4}${E}`), score: 0.95 },
  keyed('azure_devops_pat', 'Azure DevOps', ['azure_devops', 'azuredevops', 'ado_pat', 'ado_token'], '[a-z2-7]{52}'),
  { id: 'kubernetes_secret', provider: 'Kubernetes', keywords: ['kind:'], re: rx(`kind:\\s{0,4}["']?Secret["']?[\\s\\S]{0,400}?\\n\\s{0,8}data:\\s{0,4}\\n\\s{1,8}[A-Za-z0-9_.-]{1,64}:\\s{0,4}(?<s>[A-Za-z0-9+/]{8,}={0,2})`, 'gi'), score: 0.85, minEntropy: 3 },

  { id: 'aws_bedrock_api_key', provider: 'AWS Bedrock', keywords: ['bedrock-api-key-'], re: rx(`bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t[A-Za-z0-9+/=%&_-]{60,2000}`), score: 0.95 },
  keyed('discord_client_secret', 'Discord', ['discord'], '[a-f0-9]{64}|[A-Za-z0-9_-]{32}'),
  keyed('facebook_app_secret', 'Facebook', ['facebook', 'fb_secret', 'fb_app_secret'], '[a-f0-9]{32}'),
  { id: 'flutterwave_key', provider: 'Flutterwave', keywords: ['flwpubk', 'flwseck'], re: rx(`${B}(?:FLWPUBK(?:_TEST)?-[a-h0-9]{32}-X|FLWSECK_TEST[a-h0-9]{12})${E}`), score: 0.95 },
  keyed('freshbooks_token', 'FreshBooks', ['freshbooks'], '[a-z0-9]{64}'),
  { id: 'grafana_token', provider: 'Grafana', keywords: ['eyjrijoi'], re: rx(`${B}eyJrIjoi[A-Za-z0-9]{70,400}={0,2}`), score: 0.95 },
  keyed('linear_client_secret', 'Linear', ['linear'], '[a-f0-9]{32}'),
  { id: 'lob_api_key', provider: 'Lob', keywords: ['_pub_'], re: rx(`${B}(?:live|test)_pub_[a-f0-9]{31}${E}`), score: 0.9 },
  { id: 'mailgun_key', provider: 'Mailgun', keywords: ['pubkey-'], re: rx(`${B}pubkey-[a-f0-9]{32}${E}`), score: 0.9 },
  keyed('mailgun_signing_key', 'Mailgun', ['mailgun'], '[a-h0-9]{32}-[a-h0-9]{8}-[a-h0-9]{8}|key-[a-z0-9]{32}'),
  keyed('plaid_secret', 'Plaid', ['plaid'], '[a-z0-9]{30}|[a-z0-9]{24}'),
  keyed('sonarqube_token', 'SonarQube', ['sonar'], '(?:sq[pua]_)?[A-Za-z0-9]{40}'),
  keyed('sourcegraph_token', 'Sourcegraph', ['sourcegraph'], '[A-Fa-f0-9]{40}|sgp_[A-Za-z0-9_]{40,60}'),
  { id: 'yandex_token', provider: 'Yandex', keywords: ['yc'], re: rx(`yandex[A-Za-z0-9_.-]{0,24}["']?\\s{0,4}[:=]\\s{0,4}["']?(?<s>YC[A-Za-z0-9_-]{38})${E}`, 'gi'), score: 0.9 },
  { id: 'sidekiq_secret', provider: 'Sidekiq', keywords: ['contribsys__com'], re: rx(`BUNDLE_(?:ENTERPRISE|GEMS)__CONTRIBSYS__COM["']?\\s{0,4}[:=]\\s{0,4}["']?(?<s>[a-f0-9]{8}:[a-f0-9]{8})${E}`, 'gi'), score: 0.95 },
  { id: 'dropbox_token', provider: 'Dropbox', keywords: ['aaaaaaaaaa'], re: rx(`${B}[a-z0-9]{11}AAAAAAAAAA[a-z0-9_=-]{43}${E}`), score: 0.85, allowPlaceholders: true },
  keyed('alibaba_secret_key', 'Alibaba Cloud', ['alibaba', 'aliyun'], '[A-Za-z0-9]{30}'),
  keyed('airtable_api_key', 'Airtable', ['airtable'], 'key[A-Za-z0-9]{14}'),
  keyed('bitbucket_client_secret', 'Bitbucket', ['bitbucket'], '[A-Za-z0-9=_-]{64}|[A-Za-z0-9]{32}'),
  keyed('telegram_bot_token', 'Telegram', ['telegram', 'tg_bot'], '\\d{5,16}:A[A-Za-z0-9_-]{34}'),
  keyed('gitlab_session_cookie', 'GitLab', ['_gitlab_session'], '[0-9a-z]{32}'),

  // Generic formats
  { id: 'private_key', provider: 'PEM', keywords: ['private key'], re: rx(`-----BEGIN (?:[A-Z0-9]{2,10} ){0,2}PRIVATE KEY(?: BLOCK)?-----(?<s>[A-Za-z0-9+/=\\s\\\\]{40,8000})`), score: 0.99, allowPlaceholders: true },
  // A PEM private key in base64 (kubeconfig `client-key-data`, Kubernetes Secret `tls.key`, CI variables):
  // `LS0tLS1CRUdJTi` is `-----BEGIN`; the decoded header must name a private key (certificates pass).
  { id: 'private_key', provider: 'PEM', keywords: ['ls0tls1crudjti'], re: rx(`${B}LS0tLS1CRUdJTi[A-Za-z0-9+/]{40,12000}={0,2}`), score: 0.97, validate: (s) => /^-----BEGIN (?:[A-Z0-9]{2,10} ){0,2}PRIVATE KEY(?: BLOCK)?-----/.test(Buffer.from(s.slice(0, 80), 'base64').toString('latin1')), allowPlaceholders: true },
  // PuTTY's .ppk: the private lines after `Private-Lines: N`.
  { id: 'private_key', provider: 'PuTTY', keywords: ['putty-user-key-file-'], re: rx(`PuTTY-User-Key-File-[23]:[\\s\\S]{0,3000}?Private-Lines:\\s{0,4}\\d{1,3}\\r?\\n(?<s>(?:[A-Za-z0-9+/=]{1,80}\\r?\\n){0,300}[A-Za-z0-9+/=]{1,80})`), score: 0.97, allowPlaceholders: true },
  // `user:password` in base64 under an `auth` key: .npmrc `_auth=…`, Docker's config.json `"auth": "…"`.
  { id: 'basic_auth', provider: 'HTTP', keywords: ['auth'], re: rx(`(?<![A-Za-z0-9_-])(?:_auth|"auth")\\s{0,4}[:=]\\s{0,4}["']?(?<s>[A-Za-z0-9+/]{8,400}={0,2})(?![A-Za-z0-9+/=])`), score: 0.9, validate: (s) => /^[\x21-\x7e]{1,200}:[\x20-\x7e]{3,}$/.test(Buffer.from(s, 'base64').toString('latin1')) && !looksLikePlaceholder(Buffer.from(s, 'base64').toString('latin1').split(':').slice(1).join(':')) },
  // ~/.netrc, ~/.authinfo: `machine HOST login USER password SECRET`.
  { id: 'netrc_password', provider: 'netrc', keywords: ['machine'], re: rx(`${B}machine\\s{1,8}[A-Za-z0-9-]{1,63}(?:\\.[A-Za-z0-9-]{1,63}){1,8}\\s{1,8}login\\s{1,8}[^\\s]{1,128}\\s{1,8}password\\s{1,8}(?<s>[^\\s]{3,200})`), score: 0.9, validate: (s) => urlPasswordValid(s) && s.length >= 6 && (charClasses(s) >= 2 || /[^A-Za-z0-9]/.test(s)) },
  { id: 'age_secret_key', provider: 'age', keywords: ['age-secret-key-1'], re: rx(`AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}`), score: 0.99, allowPlaceholders: true },
  { id: 'jwt', provider: 'JWT', keywords: ['eyj'], re: rx(`${B}eyJ[A-Za-z0-9_-]{10,4000}\\.eyJ[A-Za-z0-9_-]{4,8000}(?:\\.[A-Za-z0-9_-]{0,1000})?`), score: 0.9, validate: jwtValid, allowPlaceholders: true },
  { id: 'basic_auth', provider: 'HTTP', keywords: ['authorization'], re: rx(`Authorization["']?\\s{0,4}[:=]\\s{0,4}["']?Basic\\s{1,4}(?<s>[A-Za-z0-9+/]{12,400}={0,2})`, 'gi'), score: 0.9, validate: basicAuthValid },
  {
    id: 'bearer_token',
    provider: 'HTTP',
    keywords: ['authorization', 'api-key', 'apikey', 'api_key', 'token'],
    re: rx(
      `(?:Authorization["']?\\s{0,4}[:=]\\s{0,4}["']?(?:(?:Bearer|Token|Api-Token)\\s{1,4})?|(?:x-api-key|x-[a-z]{2,20}-api-?key|api[_-]?key|apikey|api[_-]?token|token)["']?\\s{0,4}:\\s{0,4}["']?)(?<s>[A-Za-z0-9+/_.~-]{16,600}={0,2})`,
      'gi',
    ),
    score: 0.85,
    minEntropy: 3,
    validate: (s, m) => /\d/.test(s) && /[A-Za-z]/.test(s) && !/^[a-z]+(?:[-_][a-z]+)+$/i.test(s) && (!/^"[a-z]/.test(m[0].slice(0, 2)) || /bearer|token/i.test(m[0])),
  },
  { id: 'url_password', provider: 'URL', keywords: ['://'], re: rx(`${B}[A-Za-z][A-Za-z0-9+.-]{1,20}://(?<u>[^\\s:@/"'<>]{1,64}):(?<s>[^\\s@/"'<>]{1,128})@[A-Za-z0-9.-]{1,253}`), score: 0.9, validate: urlPasswordValid },
  { id: 'cli_password', provider: 'CLI', keywords: ['-u', '--user', '--password'], re: rx(`(?:\\s-u|--user|--password)[ =]{1,3}["']?(?<u>[^\\s:"'$<]{0,64}):["']?(?<s>[^\\s"'<>]{3,128})`, 'g'), score: 0.85, validate: urlPasswordValid },
  {
    // `curl -H "X-Api-Token: …"`, `--header "Authorization: Basic …"`: a credential-named header with a value.
    id: 'http_header_credential',
    provider: 'HTTP',
    keywords: ['-h', '--header', 'header('],
    re: rx(
      `(?:-H|--header|header\\()\\s{0,4}["']?(?<k>[A-Za-z0-9-]{0,30}(?:token|auth|key|secret|api|session|password)[A-Za-z0-9-]{0,30})\\s{0,2}:\\s{0,4}(?:(?:Bearer|Token|Basic|Api-Token|Digest)\\s{1,4})?(?<s>[^\\s"']{6,500})`,
      'gi',
    ),
    score: 0.85,
    validate: (s) => !looksLikePlaceholder(s) && !/^(?:application|text|multipart)\//i.test(s) && (charClasses(s) >= 2 || /^[0-9a-f]{16,}$/.test(s)) && /[0-9]/.test(s) && !/^\$|^%|^\{\{/.test(s),
  },
  {
    // `curl -u "TOKEN:"`: an API token passed as the user name with an empty password.
    id: 'cli_password',
    provider: 'CLI',
    keywords: ['-u', '--user'],
    re: rx(`(?:\\s-u|--user)\\s{1,3}["']?(?<s>[^\\s:"'$<{]{8,128}):["']?(?=[\\s"']|$)`, 'g'),
    score: 0.8,
    minEntropy: 3,
    validate: (s) => charClasses(s) >= 2 && /[0-9]/.test(s),
  },
  {
    // `getenv("API_TOKEN", "…")`, `("password", "…")`: a credential-named key with a literal value next to it.
    id: 'generic_credential',
    provider: 'generic',
    keywords: ['token', 'secret', 'password', 'passwd', 'api_key', 'api-key', 'apikey'],
    re: rx(`["'](?<k>[A-Za-z0-9_.-]{0,24}(?:token|secret|password|passwd|api[_-]?key|apikey)[A-Za-z0-9_.-]{0,12})["']\\s{0,4},\\s{0,4}["'](?<s>[^"'\\s]{8,200})["']`, 'gi'),
    score: 0.75,
    minEntropy: 3,
    validate: (s) => !looksLikePlaceholder(s) && charClasses(s) >= 2 && /[0-9]/.test(s) && !/^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(s),
  },
  { id: 'clawguard_api_key', provider: 'ClawGuard', keywords: ['cg_'], re: rx(`${B}cg_[A-Za-z0-9_-]{43}${E}`), score: 0.99, minEntropy: 3.5 },
];

/** Rules whose keywords are a context the text must mention, not part of the match (a Discord bot token is three bare base64 parts). */
export const CONTEXT_KEYWORD_RULES: ReadonlySet<string> = new Set(['discord_bot_token']);

// `key` and `auth` alone occur everywhere (keyboard, author): the names that hold them are spelled out.
const GENERIC_KEYWORDS = ['pass', 'pwd', 'secret', 'token', 'credential', 'apikey', ...['api', 'access', 'auth', 'private'].flatMap((w) => ['_', '.', '-', ''].map((sep) => `${w}${sep}key`))];

/**
 * `password = "…"`, `api_key: …`, `client_secret=…`: an assignment to a credential-like name whose value
 * looks random (entropy, mixed character classes) and is no template or variable reference.
 */
export const GENERIC_ASSIGNMENT: SecretRule = {
  id: 'generic_credential',
  provider: 'generic',
  keywords: GENERIC_KEYWORDS,
  re: rx(
    `(?<![A-Za-z0-9])(?<k>[A-Za-z0-9_.-]{0,24}(?:password|passwd|pwd|secret|token|api[_.-]?key|apikey|access[_.-]?key|auth[_.-]?key|private[_.-]?key|client[_.-]?secret|credentials?)[A-Za-z0-9_.-]{0,12})["']?\\s{0,4}(?:::=|:::=|:=|\\?=|=>|=|:)\\s{0,4}(?<q>["'\`]?)(?<s>[^\\s"'\`;,)}\\]]{8,200})`,
    'gi',
  ),
  score: 0.75,
  minEntropy: 3.2,
  validate: (secret, match) => {
    const key = (match.groups?.['k'] ?? '').toLowerCase();
    if (/(?:public|publishable|id$|name$|url$|uri$|path$|file$|size|type$|length|format|header|field|prefix|pattern|regex|param|csrf|xsrf|vault|store)/.test(key)) return false;
    // Values shaped like a provider's key that its own rule rejected (test fakes) are not generic secrets.
    if (/^(?:xox[a-z]-|ghp_|gho_|sk-|dapi|AKIA|glpat-|hf_|\{|\[)/.test(secret)) return false;
    if (/^[A-Za-z0-9_.]+[-:][A-Za-z0-9_.-]*\d+(?:\.\d+)+$/.test(secret)) return false;
    if (/^[a-z]+(?:[._-][a-z]+)*$/i.test(secret) && !/\d/.test(secret)) return false;
    if (/^(?:true|false|null|none|undefined|required|optional)$/i.test(secret)) return false;
    if (/^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+(?:\(.*)?$/.test(secret)) return false;
    if (/^[a-zA-Z_]+\(/.test(secret)) return false;
    if (/^https?:\/\//.test(secret) && !/@/.test(secret)) return false;
    if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(secret) && !/secret|password|token/.test(key)) return false;
    const isPassword = /pass|pwd/.test(key);
    return isPassword ? charClasses(secret) >= 2 : charClasses(secret) >= 2 && secret.length >= 12;
  },
};

export { charClasses, looksLikePlaceholder, shannonEntropy };
