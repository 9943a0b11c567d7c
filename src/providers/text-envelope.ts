/** Put in place of a text to prove where it sits (see `TextEnvelope.learn`). */
const PROBE = 'clawguard shape probe 7f3a';

/**
 * The string that `text.slice(from, to)` is as JSON (it begins with a quote), or undefined when it is
 * not one JSON string. A string without escapes or control characters is its own content: no parse.
 */
export function jsonStringAt(text: string, from: number, to: number): string | undefined {
  const last = to - 1;
  if (last > from && text.charCodeAt(last) === 34) {
    let i = from + 1;
    for (; i < last; i++) {
      const c = text.charCodeAt(i);
      if (c === 34 || c === 92 || c < 32) break;
    }
    if (i === last) return text.slice(from + 1, last);
  }
  try {
    const value: unknown = JSON.parse(text.slice(from, to));
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined; // not one JSON string: read it whole
  }
}

/**
 * How a stream's text events look around their text: `head` + the text as a JSON string + `tail`
 * (OpenAI repeats one envelope on every chunk, Anthropic on every `text_delta`). Once learned, such an
 * event is read by comparing its ends and reading its string: no parse of the whole event.
 */
export class TextEnvelope {
  private constructor(
    readonly head: string,
    readonly tail: string,
    /** The event parsed with another text: what every event of this envelope holds but its text. */
    readonly source: any,
  ) {}

  /**
   * Learns the envelope from an event (`data`) whose text is `text`, proven by a parse with another
   * string put in place of it: when `proves(parsed, probe)` finds that string where the text was, the
   * string's token is that text, so any JSON string between `head` and `tail` parses to the same event
   * with that string as its text.
   */
  static learn(data: string, text: string, proves: (parsed: any, probe: string) => boolean): TextEnvelope | undefined {
    const literal = JSON.stringify(text);
    const at = data.lastIndexOf(literal);
    if (at === -1) return undefined; // escaped otherwise than JSON.stringify would
    const head = data.slice(0, at);
    const tail = data.slice(at + literal.length);
    if (head.includes(PROBE) || tail.includes(PROBE)) return undefined;
    let probe: any;
    try {
      probe = JSON.parse(`${head}"${PROBE}"${tail}`);
    } catch {
      return undefined;
    }
    return proves(probe, PROBE) ? new TextEnvelope(head, tail, probe) : undefined;
  }

  /** The text of an event in this envelope; undefined for any other event. */
  textOf(data: string): string | undefined {
    // Compared as substrings: `startsWith`/`endsWith` on these sliced strings cost as much as a third
    // of parsing the whole event (measured).
    const h = this.head.length;
    const to = data.length - this.tail.length;
    if (to > h && data.charCodeAt(h) === 34 /* " */ && data.substring(0, h) === this.head && data.substring(to) === this.tail) return jsonStringAt(data, h, to);
    return undefined;
  }
}
