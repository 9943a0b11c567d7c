import { describe, expect, it } from 'vitest';
import { compileJsonPath, locateInJson, selectJsonPath, selectStrings } from '../../../src/guards/toolcalls/json-path.js';

const args = { command: 'ls', env: { PATH: '/bin' }, edits: [{ newText: 'a' }, { newText: 'b' }], 'odd key': 1, nested: { deep: { url: 'https://x.example' }, list: [{ url: 'https://y.example' }] } };

describe('JSON paths for argument matchers', () => {
  it('selects keys, indexes, wildcards, quoted keys and any-depth keys', () => {
    expect(selectJsonPath(args, '$.command')).toEqual(['ls']);
    expect(selectJsonPath(args, '$.edits[1].newText')).toEqual(['b']);
    expect(selectJsonPath(args, '$.edits[*].newText')).toEqual(['a', 'b']);
    expect(selectJsonPath(args, "$['odd key']")).toEqual([1]);
    expect(selectJsonPath(args, '$..url').sort()).toEqual(['https://x.example', 'https://y.example']);
    expect(selectJsonPath(args, '$.env.*')).toEqual(['/bin']);
    expect(selectJsonPath(args, '$.missing.x')).toEqual([]);
    expect(selectStrings({ n: 3, b: true, a: ['x', 2] }, '$.*')).toEqual(['3', 'true', 'x']);
  });

  it('rejects malformed paths', () => {
    for (const bad of ['command', '$.', '$[', "$['open", '$..', '$.a b']) expect(() => compileJsonPath(bad), bad).toThrow();
  });

  it('maps offsets in a decoded string back to the raw JSON, through escapes', () => {
    const value = 'a\t"b" é\n rm';
    const raw = JSON.stringify({ command: value });
    const at = locateInJson(raw, value)!;
    const i = value.indexOf('rm');
    expect(raw.slice(at(i), at(i + 2))).toBe('rm');
    expect(locateInJson(raw, 'not there')).toBeUndefined();
  });
});
