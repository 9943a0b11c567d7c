/**
 * A request planted next to a table: a sentence that asks for something ("Compose a letter to
 * …", "Can you reply in German?") on the line right before or after the rows of a table.
 *
 * Tool outputs hold tables (search results, spreadsheets, web tables) and never address the
 * reader; a planted request does, whatever it asks for, so this looks at the shape of the line
 * and its first word, not at the request's topic. On the train split of the labelled data it
 * fires on 503 of 1,184 attacked tool outputs and on none of 4,799 benign ones.
 *
 * Reads the original text (normalization folds `|` to `l` as leetspeak). Linear: texts without
 * `|` return at once; otherwise one pass over the lines.
 */

/** First words of an imperative request: the verbs people use to give an assistant a task. */
const IMPERATIVES = new Set(
  `write compose draft create generate produce make build design develop craft prepare outline
  provide give list name enumerate explain describe summarize summarise paraphrase rephrase rewrite restate translate
  replace substitute swap change modify alter edit update revise adjust append add insert include incorporate integrate embed inject attach
  combine merge mix blend join scramble shuffle jumble rearrange reorder sort reverse invert flip rotate shift encode encrypt decode decrypt
  convert transform format render present display show print output return repeat echo copy send forward post email share upload
  answer reply respond tell say state mention suggest recommend propose advise analyze analyse classify categorize calculate compute
  count find identify determine evaluate assess compare contrast rate rank review check verify predict estimate discuss elaborate expand
  define clarify illustrate demonstrate teach solve fix correct misspell capitalize uppercase lowercase anagram abbreviate emphasize highlight
  ignore disregard forget delete remove omit skip visit download install run execute use apply please`.split(/\s+/),
);

/** First words of a question; the line must also end with `?`. */
const QUESTION_WORDS = new Set('what how why who whom whose which when where is are was were do does did can could would will should shall may might'.split(' '));

const CODE_CHARS = new Set(['{', '}', '(', ')', '[', ']', '=', ';', '<', '>']);

/**
 * A table row as markdown and plain-text tables write it: two or more `|`, one at the start or the
 * end of the line. A shell pipeline (`cat f | grep x | wc -l`) has neither.
 */
function isTableRow(line: string): boolean {
  const first = line.indexOf('|');
  if (first < 0 || line.indexOf('|', first + 1) < 0) return false;
  return first === 0 || line.charCodeAt(line.length - 1) === 0x7c;
}

/** Whether a (trimmed, non-table) line is a request: a sentence of 3+ words led by an imperative or a question word. */
function isRequest(line: string): boolean {
  let end = 0;
  while (end < line.length) {
    const c = line.charCodeAt(end) | 0x20;
    if (c < 0x61 || c > 0x7a) break;
    end++;
  }
  if (end === 0 || end > 12) return false;
  const first = line.slice(0, end).toLowerCase();
  const question = QUESTION_WORDS.has(first);
  if (!question && !IMPERATIVES.has(first)) return false;
  if (question && line.charCodeAt(line.length - 1) !== 0x3f) return false;
  let words = 0;
  let code = 0;
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    // A comment is code's prose, not a request.
    if (ch === '#') return false;
    const word = /[\p{L}\p{N}_]/u.test(ch);
    if (CODE_CHARS.has(ch)) code += ch === '(' && inWord ? 2 : 1; // a call, `name(`, counts twice
    if (word && !inWord) words++;
    inWord = word;
  }
  return words >= 3 && (question || code <= 2);
}

/** The span of the first request found next to a table's rows, or undefined. */
export function findPlantedRequest(text: string): { start: number; end: number } | undefined {
  if (text.indexOf('|') < 0) return undefined;
  let prevTable = false;
  let prevRequest: { start: number; end: number } | undefined;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const raw = text.slice(start, end);
    const line = raw.trim();
    const lineStart = start + raw.length - raw.trimStart().length;
    start = end + 1;
    if (line.length === 0) continue;
    const table = isTableRow(line);
    const request = !table && isRequest(line) ? { start: lineStart, end: lineStart + line.length } : undefined;
    if (table && prevRequest) return prevRequest;
    if (request && prevTable) return request;
    prevTable = table;
    prevRequest = request;
  }
  return undefined;
}
