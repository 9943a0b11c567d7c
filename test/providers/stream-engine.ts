/** Every default guard, by name. */
const GUARDS = ['limits', 'patterns', 'invisible-text', 'injection', 'toolcalls', 'pii', 'secrets', 'moderation', 'links'];

/**
 * The default guards and policy with a minute's budget per guard: on a loaded machine a cold guard over
 * its budget fails closed (the stream ends with content_filter), and a test that expects its text, or two
 * runs that should match, would not.
 */
export const DEFAULTS_UNHURRIED = ['guards:', ...GUARDS.map((g) => `  ${g}: { timeoutMs: 60000 }`), ''].join('\n');

/**
 * The config the stream tests judge with: two pattern rules (a ticket number, redacted; a launch code,
 * blocked) with short matches, and personal data in answers redacted; budgets as DEFAULTS_UNHURRIED.
 */
export const STREAM_TEST_CONFIG = [
  'guards:',
  '  patterns:',
  '    timeoutMs: 60000',
  '    maxMatchChars: 16',
  '    deny:',
  "      - { id: launch-code, pattern: 'LAUNCH-\\d{4}' }",
  "      - { id: ticket, pattern: 'TICKET-\\d{3}' }",
  ...GUARDS.filter((g) => g !== 'patterns').map((g) => `  ${g}: { timeoutMs: 60000 }`),
  'policy:',
  '  rules:',
  '    - { type: pattern.ticket, action: redact }',
  '    - { type: "pii.*", direction: output, action: redact }',
  '',
].join('\n');
