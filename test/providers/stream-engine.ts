/**
 * The config the stream tests judge with: two pattern rules (a ticket number, redacted; a launch code,
 * blocked) with short matches, and personal data in answers redacted.
 */
export const STREAM_TEST_CONFIG = [
  'guards:',
  '  patterns:',
  '    maxMatchChars: 16',
  '    deny:',
  "      - { id: launch-code, pattern: 'LAUNCH-\\d{4}' }",
  "      - { id: ticket, pattern: 'TICKET-\\d{3}' }",
  'policy:',
  '  rules:',
  '    - { type: pattern.ticket, action: redact }',
  '    - { type: "pii.*", direction: output, action: redact }',
  '',
].join('\n');
