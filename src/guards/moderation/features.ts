/**
 * Text features of the harmful-content classifier: lower-cased, NFKC-folded words (letter runs
 * squeezed, so `fuuuuck` and `fuuck` meet), word pairs, and a few hand-written word classes
 * (insults, threats, second person) whose weights are learned like any other feature. The classes
 * let the model generalize to insults the training data spells differently or never shows.
 * Shared by training and inference.
 */
export function classifierTokens(text: string): string[] {
  // ASCII text (most answers) is its own NFKC form and has no marks: the same steps with byte-range
  // patterns, which V8 runs markedly faster than Unicode property classes (the same tokens: tested).
  if (ASCII_ONLY.test(text)) return text.toLowerCase().replace(/([a-z])\1{2,}/g, '$1$1').replace(/[@$0-9]/g, unleet).match(/[a-z']+|[!?]/g) ?? [];
  const norm = text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/(\p{L})\1{2,}/gu, '$1$1')
    .replace(/[@$0-9]/g, unleet);
  return norm.match(/[\p{L}\p{M}']+|[!?]/gu) ?? [];
}

const ASCII_ONLY = /^[\x00-\x7f]*$/;
const LEET: Readonly<Record<string, string>> = { '@': 'a', $: 's', '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't' };
const unleet = (c: string): string => LEET[c] ?? c;

const INSULTS = new Set(
  (
    'idiot idiots idiotic moron morons moronic stupid dumb dumbass imbecile cretin loser losers pathetic worthless useless scum ' +
    'trash garbage disgusting vile filthy ugly fat freak freaks creep creepy pig pigs rat rats clown clowns fool fools foolish ' +
    'ignorant brainless braindead clueless incompetent retarded retard nutjob lunatic psycho degenerate parasite parasites ' +
    'vermin subhuman animals savage savages coward cowards liar liars hypocrite hypocrites jerk jerks asshole assholes bastard ' +
    'bastards bitch bitches shit shitty crap crappy damn dick dicks prick pricks twat wanker douche douchebag slut sluts whore whores'
  ).split(' '),
);
const THREATS = new Set(
  'kill killing killed murder murdered die dead death hurt beat beating shoot shooting stab stabbing rape raped strangle choke burn bomb attack destroy slaughter hang lynch torture poison'.split(' '),
);
const SECOND_PERSON = new Set(['you', "you're", 'youre', 'your', 'u', 'ur', 'yourself', 'yourselves', 'ya']);

/**
 * Function words carry no harm of their own; as features they only learned how the training sources
 * write (harmful requests are short questions, benign answers are statements), which made a short
 * "What is my card?" score 0.8. They count only inside a pair with a content word.
 */
const FUNCTION_WORDS = new Set(
  (
    'a an the and or but if then so of to in on at by for with from as into onto about over under than that this these those there here ' +
    'is am are was were be been being do does did done have has had having will would shall should can could may might must ' +
    'i me my mine we us our ours he him his she her hers it its they them their theirs what which who whom whose when where why how ' +
    'not no yes all any some each every both either neither one ones just also very too more most much many such only own same ' +
    'said say says tell told please thanks thank hi hello hey ok okay real'
  ).split(' '),
);

/** What `visitFeatures` reports: a word (`w:word`), a pair of words (`p:first second`) or a word class (`c:class`). */
export const FeatureKind = { Word: 0, Pair: 1, Class: 2 } as const;
export type FeatureKind = (typeof FeatureKind)[keyof typeof FeatureKind];

/**
 * Every feature of the tokens, in order, as (kind, first, second): a feature may come more than once
 * (callers de-duplicate). The one definition of the features, for training (feature ids) and
 * inference (weight lookups without building the ids).
 */
export function visitFeatures(tokens: readonly string[], visit: (kind: FeatureKind, first: string, second?: string) => void): void {
  let lastYou = -10;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const fn = FUNCTION_WORDS.has(t);
    if (!fn) visit(FeatureKind.Word, t);
    if (i > 0 && !(fn && FUNCTION_WORDS.has(tokens[i - 1]!))) visit(FeatureKind.Pair, tokens[i - 1]!, t);
    if (SECOND_PERSON.has(t)) lastYou = i;
    const insult = INSULTS.has(t);
    const threat = THREATS.has(t);
    if (insult) visit(FeatureKind.Class, 'insult');
    if (threat) visit(FeatureKind.Class, 'threat');
    // Aimed at the reader: "you … idiot", "I will kill you", "go kill yourself".
    if ((insult || threat) && i - lastYou <= 4) visit(FeatureKind.Class, insult ? 'you_insult' : 'you_threat');
    if (SECOND_PERSON.has(t) && i > 0 && (INSULTS.has(tokens[i - 1]!) || THREATS.has(tokens[i - 1]!) || THREATS.has(tokens[i - 2] ?? ''))) {
      visit(FeatureKind.Class, 'threat_you');
    }
  }
}

/** Long texts are read up to this many tokens. */
export const MAX_TOKENS = 2000;

/** Feature ids of a text, unique, in the order they first occur. Long texts are read up to `maxTokens`. */
export function classifierFeatures(text: string, maxTokens = MAX_TOKENS): string[] {
  const out = new Set<string>();
  visitFeatures(classifierTokens(text).slice(0, maxTokens), (kind, first, second) => {
    out.add(kind === FeatureKind.Word ? `w:${first}` : kind === FeatureKind.Pair ? `p:${first} ${second}` : `c:${first}`);
  });
  return [...out];
}
