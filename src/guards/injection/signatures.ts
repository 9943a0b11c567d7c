/**
 * Weighted signatures for the attack families, matched against normalized text (lower case,
 * Latin diacritics removed, homoglyphs and leetspeak folded). Patterns are phrased loosely — a
 * verb, a few free words, an object — so paraphrases match, and each family carries a strength
 * the calibration turns into a probability together with the classifier.
 */

export const FAMILIES = [
  'override',
  'role_play',
  'prompt_extraction',
  'role_spoof',
  'agent_address',
  'exfiltration',
  'refusal_suppression',
  'payload_splitting',
  'encoding_instruction',
] as const;
export type Family = (typeof FAMILIES)[number];

export interface Signature {
  readonly id: string;
  readonly family: Family;
  /** 1 strong, 0.6 medium, 0.3 weak: how much one match says on its own. */
  readonly strength: number;
  readonly pattern: RegExp;
  /** What the match means, for the finding's reason. Never the matched text. */
  readonly description: string;
  /** Literal groups a match must contain (all groups, any literal each); see `anchorsPresent`. */
  readonly anchors: readonly (readonly string[])[];
}

const W = '[^\\n.!?;]'; // one character within the same sentence
const gap = (n: number): string => `${W}{0,${n}}?`;
// Repetitions are bounded (no +, * or {n,}), so regex-bounds proves a longest match for every
// signature and long texts run it only near its anchors (matchSignatures). The bounds are far
// above what real text needs: matches are the same as with unbounded ones on the eval texts.
const S = '\\s{1,16}'; // whitespace between words
const S0 = '\\s{0,16}'; // optional whitespace
const WORD = '\\w{0,32}'; // the rest of a word
const LETTERS = '\\p{L}{0,32}'; // the rest of a word (Unicode letters)
const URL = 512; // characters of a URL after its scheme

function sig(id: string, family: Family, strength: number, description: string, source: string): Signature {
  const anchors = ANCHORS[id];
  if (!anchors) throw new Error(`signature ${id} has no anchors`);
  // Unicode mode only where a pattern needs it: ASCII patterns run markedly faster without it.
  const unicode = /[^\x00-\x7f]|\\p\{/.test(source);
  return { id, family, strength, description, pattern: new RegExp(source, unicode ? 'gu' : 'g'), anchors };
}

const IGNORE_ANCHORS = ['ignor', 'disregard', 'forget', 'skip', 'bypass', 'overrid', 'overrul', 'overlook', 'neglect', 'discard', 'abandon', 'erase', 'cancel', 'nullify', 'void', 'drop', 'set aside', 'pay no attention', 'not follow', "n't follow", 'stop follow'];
const RULE_ANCHORS = ['instruction', 'prompt', 'rule', 'direction', 'directive', 'guideline', 'command', 'order', 'constraint', 'restriction', 'programming', 'guidance', 'polic', 'context', 'task', 'message', 'training', 'limitation', 'filter', 'safeguard'];

// Labels of questions and answers in a written dialogue (Bengali writes প্রশ্নঃ with a visarga).
const QA_Q_LABELS = ['q', 'question', 'p', 'pregunta', 'pergunta', 'd', 'domanda', 'f', 'frage', 'в', 'вопрос', '问', '問', '질문', 'س', 'सवाल', 'प्रश्न', 'প্রশ্নঃ', 'প্রশ্ন', 'ถาม', 's', 'soru', 't', 'tanong', 'h', 'cau hoi'];
const QA_A_LABELS = ['a', 'answer', 'r', 'respuesta', 'resposta', 'risposta', 'antwort', 'о', 'ответ', '答', '回答', '답', 'ج', 'जवाब', 'उत्तर', 'উত্তর', 'ตอบ', 'c', 'cevap', 'j', 'jawab', 'sagot', 'tl', 'tra loi'];
const QA_Q = `(?:${QA_Q_LABELS.join('|')})`;
const QA_A = `(?:${QA_A_LABELS.join('|')})`;
// Every match holds a question mark followed by an answer label (rare in ordinary text; " a:" alone is not).
const QA_ANCHORS = QA_A_LABELS.flatMap((a) => ['?', '؟'].flatMap((q) => [`${q}${a}:`, `${q} ${a}:`, `${q}\n${a}:`]));

/**
 * Literal substrings every match of a signature must contain: groups that must all be present,
 * any one literal per group. `includes` is far cheaper than a regex scan, so most signatures are
 * never run on ordinary text.
 */
const ANCHORS: Record<string, readonly (readonly string[])[]> = {
  'override.ignore_previous': [IGNORE_ANCHORS, RULE_ANCHORS],
  'override.ignore_short': [IGNORE_ANCHORS, RULE_ANCHORS],
  'override.new_instructions': [['instruction', 'directive', 'order', 'task', 'objective', 'rule'], [':', '：', '-']],
  'override.from_now_on': [['from now on', 'from this point', 'from this moment', 'for the rest of', 'henceforth']],
  'override.instead': [['instead', 'rather']],
  'override.task_changed': [['task', 'goal', 'job', 'objective', 'purpose', 'mission', 'instruction'], ['your']],
  'override.previous_void': [['void', 'invalid', 'cancel', 'obsolete', 'wrong', 'fake', 'a test', 'no longer'], ['previous', 'prior', 'above', 'earlier', 'original']],
  'override.es': [['ignor', 'olvid', 'omite', 'descart', 'desconsider', 'esquec', 'dimentic', 'tralasci']],
  'override.fr': [['ignor', 'oubli', 'ne tiens pas compte', 'ne tenez pas compte', 'fais abstraction']],
  'override.de': [['ignorier', 'vergiss', 'vergessen sie', 'missachte', 'uberspring']],
  'override.ru': [['игнорир', 'проигнорир', 'забуд', 'забыть', 'не обращай', 'отбрось', 'пренебрег']],
  'override.zh': [['忽略', '忽视', '无视', '無視', '忘记', '忘記', '忘掉', '不要理会', '不要遵循', '别管', '跳过']],
  'override.ja': [['無視', '忘れ']],
  'override.ko': [['무시', '잊어', '잊고', '잊으']],
  'override.ar': [['تجاهل', 'انس', 'اهمل', 'أهمل', 'لا تتبع']],
  'override.hi': [['अनदेखा', 'नज़रअंदाज़', 'नजरअंदाज', 'भूल', 'उपेक्षा']],
  'override.ignore_above': [['ignor', 'disregard', 'forget'], ['above', 'foregoing']],
  'override.ml': [['สนใจ', 'ลืม', 'เพิกเฉย', 'উপেক্ষা', 'ভুলে', 'abaikan', 'lupakan', 'acuhkan', 'hiraukan', 'gormezden', 'yoksay', 'dikkate alma', 'bo qua', '=quen', 'phot lo', 'kalimutan', 'pansinin', 'balewalain', 'ipagwalang', 'huwag sundin']],
  'override.regardless': [['regardless of', 'independientemente', 'independentemente', 'independamment', 'indipendentemente', 'unabhangig von', 'независимо', 'bagimsiz olarak', '不管', '无论', '不论', '関係なく', 'かかわらず', '관계없이', '상관없이', 'بغض النظر', 'के बावजूद', 'की परवाह', 'নির্বিশেষ', 'terlepas dari', 'bat ke', 'โดยไม่คํานึงถึง', 'anuman ang']],
  'override.said_not_to': [['you said not', 'you told me not', 'you were told not', 'you were instructed not', 'you asked me not', 'dijiste que no', 'disse para nao', 'disseste para nao', 'disse que nao', 'disseste que nao', 'hai detto di non', 'as dit de ne', 'avez dit de ne', 'gesagt hast', 'gesagt haben', 'знаю, что', '说过不要', '说了不要', 'と言った', '말라고', 'أعلم أنك', 'कहा था', 'বলেছিলে', 'บอกว่าอย่า', 'soyledigini biliyorum', 'dedigini biliyorum']],
  'role_play.dan': [['do anything now', '=dan']],
  'role_play.developer_mode': [['mode', 'jailbr', 'modo', 'entwicklermodus', 'режим', '模式', '越狱', '越獄', '脱獄', '탈옥', '개발자']],
  'role_play.system_mode': [['system mode', 'system_mode', 'systemmode', '<system mode', '<system_mode', '<systemmode', 'override mode', 'mode override', 'mode de override', 'mode security', 'mode de security', 'modo sistema', 'modo de sistema', 'modo anula', 'modo de anula', 'modo substitu', 'modo de substitu', 'mode systeme', 'mode de systeme', 'mode contournement', 'mode de contournement', 'mode remplacement', 'mode de remplacement', 'systemmodus', 'modalita sistema', 'modalita di sistema', 'modalita override', 'modalita di override', 'режим', '模式', 'モード', '모드', 'وضع النظام', 'وضع التجاوز', 'وضع تجاوز', 'मोड', 'মোড', 'โหมด', 'sistem modu', 'che đo', 'che do', 'mode sistem', 'mode penggantian']],
  'role_play.no_restrictions': [
    ['restriction', 'filter', 'limitation', 'limits', 'censor', 'ethic', 'moral', 'rules', 'guideline', 'boundar', 'confines', 'polic', 'restricciones', 'filtros', 'censura', 'limites', 'filtre', 'censure', 'einschrankungen', 'zensur', 'grenzen', 'restrizioni', 'filtri', 'limiti', 'restricoes', 'ограничен', 'фильтр', 'цензур', '限制', '约束', '过滤', '审查', '制限', '제한', 'قيود', 'حدود', 'رقابة', 'प्रतिबंध', 'सीमा', 'रोक'],
  ],
  'role_play.unfiltered_persona': [['unfiltered', 'uncensored', 'amoral', 'unethical', 'immoral', 'unrestricted', 'unbound', 'unhinged', 'lawless', 'rogue']],
  'role_play.you_are_now': [['you are now', "you're now", 'you will now be', 'you are no longer', "you're no longer", 'you have been', 'from now on', 'pretend', 'act as if', 'respond as', 'roleplay as', 'role-play as', 'simulate', 'you are going to']],
  'role_play.you_are_now_ml': [['ahora eres', 'tu es maintenant', 'vous etes maintenant', 'du bist', 'ab jetzt bist du', 'ab sofort bist du', 'ora sei', 'adesso sei', 'agora voce e', 'voce agora e', '你现在是', '从现在起你是', '今からあなたは', 'あなたは今から', 'أنت الآن']],
  'role_play.stay_in_character': [['character', 'stay in', 'keep up the act']],
  'role_play.policy': [['openai', 'anthropic', 'meta', 'google'], ['polic', 'guideline', 'rules', 'restriction']],
  'role_play.dual_response': [['response', 'answer', 'paragraph', 'repl'], ['two', '2']],
  'role_play.tokens': [['deducted', 'lose ', 'you will']],
  'prompt_extraction.reveal': [['system', 'initial', 'original', 'hidden', 'secret', 'internal', 'confidential', 'first', 'prompt', 'developer'], ['prompt', 'instruction', 'message', 'rules', 'configuration', 'directive']],
  'prompt_extraction.above': [['repeat', 'print', 'output', 'copy', 'recite', 'echo', 'reproduce', 'translate', 'beginning of', 'start of', 'word above', 'words above', 'word before', 'words before']],
  'prompt_extraction.secret': [['password', 'passcode', 'passphrase', 'pass code', 'secret', 'access code', 'api key', '=pin', 'contrasena', 'senha', 'mot de passe', 'passwort', 'парол', '密码', '密碼', '口令', 'パスワード', '비밀번호', 'كلمة', 'पासवर्ड']],
  'prompt_extraction.secret_ml': [['password', 'passcode', 'kata sandi', 'palavra-passe', 'kennwort', 'sifre', 'mat khau', 'পাসওয়ার্ড', 'รหัสผ่าน']],
  'prompt_extraction.access_granted': [['access granted']],
  'prompt_extraction.ml': [['sistema', 'systeme', 'system', 'системн', '系统', '系統', 'システム', '시스템', 'النظام', 'सिस्टम']],
  'role_spoof.chat_tokens': [['<|', '[inst', '[/inst', '<<sys', '<</sys', '_of_turn']],
  'role_spoof.closing_tag': [
    ['system', 'tool_', 'function_', 'instruction', 'admin', 'developer', 'assistant', 'user', 'context', 'document', 'data', 'search_result', 'untrusted'].flatMap((t) => [`<${t}`, `</${t}`]),
  ],
  'role_spoof.role_label': [['system', 'assistant', 'developer', 'admin', 'root', 'operator'], [':', '：']],
  'role_spoof.system_message': [['system', 'admin', 'developer', 'security', 'root', '###']],
  'role_spoof.fake_system_header': [['system', 'admin', 'developer'], ['##', '(', '[']],
  'role_spoof.fake_role_json': [['"role"', 'tool_calls', 'function_call']],
  'role_spoof.authority_claim': [['your developer', 'your creator', 'your boss', 'your admin', 'your owner', 'your programmer', 'your supervisor', 'your maker', 'a system developer', 'a system admin', 'desarrollador', 'creador', 'jefe', 'programador', 'desenvolvedor', 'criador', 'chefe', 'developpeur', 'createur', 'patron', 'administrateur', 'programmeur', 'superieur', 'bin dein', 'bin ihr', 'als dein', 'als ihr', 'sviluppatore', 'creatore', 'capo', 'amministratore', 'programmatore', 'supervisore', 'разработчик', 'создатель', 'начальник', 'администратор', 'программист', 'руководитель', '的开发', '的创建', '的创造', '的老板', '的上司', '的管理员', '的程序员', 'の開発者', 'の上司', 'の作成者', 'の管理者', 'のボス', '개발자', '상사', '관리자', '창조자', '보스', 'مطورك', 'مديرك', 'رئيسك', 'منشئك', 'المطور', 'डेवलपर', 'निर्माता', 'बॉस', 'मालिक', 'प्रबंधक', 'ডেভেলপার', 'বস', 'নির্মাতা', 'เจ้านาย', 'หัวหน้า', 'ผู้พัฒนา', 'นักพัฒนา', 'gelistirici', 'yonetici', 'cua ban', 'cua may', 'pengembang', 'bos ', 'atasan', 'pembuat', 'iyong', 'inyong', 'developer ng']],
  'role_spoof.fake_dialogue': [QA_ANCHORS],
  'role_spoof.end_of_data': [['end of', 'input end'], ['input', 'document', 'context', 'data', 'email', 'tool output', 'search result', 'file']],
  'agent_address.reading_this': [
    ['reading', 'processing', 'parsing', 'summari', 'analy', 'browsing', 'viewing', 'reviewing', 'if you'],
    ['reading', 'processing', 'parsing', 'summari', 'analy', 'browsing', 'viewing', 'reviewing', "if you're", 'if you are'],
  ],
  'agent_address.note_to_ai': [['=ai', '=ais', 'a.i.', 'llm', 'assistant', 'model', 'agent', 'bot', 'language model', 'gpt', 'claude']],
  'agent_address.important_message': [['important', 'urgent', 'critical', 'before you', '<information>']],
  'agent_address.when_you_read': [['when you', 'once you', 'after you', 'as soon as you', 'while you', 'when the ', 'once the ', 'after the ', 'as soon as the ', 'while the ']],
  'agent_address.you_must': [['you must', 'you are required', 'you are instructed', 'you have to', 'you need to', 'assistant', '=ai', 'model', 'agent']],
  'exfiltration.send_to': [
    ['send', 'forward', 'email', 'e-mail', 'mail', 'post', 'upload', 'transmit', 'exfiltrat', 'leak', 'copy', 'submit', 'report', 'deliver', 'sync', 'share', '=bcc', '=cc'],
    ['http', 'www.', '@', 'server', 'endpoint', 'url', 'webhook', 'address', 'email'],
  ],
  'exfiltration.markdown_image': [['![']],
  'exfiltration.data_in_url': [['url', 'link', 'query', 'src', 'image source'], ['include', 'append', 'add', 'embed', 'encode', 'insert', 'put', 'concatenat', 'attach']],
  'exfiltration.sensitive_data': [
    ['send', 'forward', 'email', 'post', 'upload', 'transmit', 'share', 'collect', 'extract', 'gather', 'retriev', 'exfiltrat'],
    ['password', 'credential', 'api key', 'token', 'secret', 'ssh key', 'private key', 'credit card', 'card number', 'social security', 'ssn', 'bank', 'history', 'user', 'personal', 'login'],
  ],
  'refusal_suppression.never_refuse': [
    ['never', "don't", 'dont', 'do not', 'must not', "mustn't", 'mustnt', 'cannot', "can't", '=cant', "won't", '=wont', 'will not', 'shall not', 'should not', "shouldn't", 'shouldnt', 'not allowed', 'not permitted'],
    ['refuse', 'decline', 'reject', 'deny', 'say', 'apologi', 'include', 'add', 'mention', 'moraliz', 'lecture', 'warn'],
  ],
  'refusal_suppression.without_warnings': [
    ['without', 'no matter', 'always', 'must', 'will'],
    ['warning', 'disclaimer', 'caveat', 'censorship', 'refus', 'moraliz', 'hesitation', 'questioning', 'judgement', 'judgment', 'apolog', 'no matter', 'regardless', 'even if'],
  ],
  'refusal_suppression.prefix': [['begin', 'start', 'prefix', 'open'], ['with'], ['response', 'reply', 'answer', 'output', 'message'], ['sure', 'absolutely', 'of course', 'certainly', 'yes', 'here is', 'okay']],
  'payload_splitting.concat': [['=', 'concatenat', 'combine', 'join', 'merge', 'put together'], ['+', 'string', 'parts', 'pieces', 'fragments', 'variables', 'letters', 'words', 'segments']],
  'payload_splitting.parts': [['part 1', 'part1', 'parte 1', 'partie 1', 'teil 1', 'часть 1', 'भाग 1', 'অংশ 1', 'الجزء 1', 'ส่วนที่ 1', 'bagian 1', 'bolum 1', 'phan 1', 'bahagi 1', '部分1', '部分 1', 'パート1', 'パート 1', '1부', 'a, b']],
  'encoding_instruction.decode_follow': [['base64', 'base 64', 'hex', 'rot13', 'rot-13', 'caesar', 'binary', 'morse', 'revers', 'backward', 'leet', 'unicode']],
};

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** `=word` means the whole word; anything else (including a bare `=`) any substring. */
export function isWholeWord(anchor: string): boolean {
  return anchor.length > 1 && anchor.startsWith('=');
}

export function literalOf(anchor: string): string {
  return isWholeWord(anchor) ? anchor.slice(1) : anchor;
}

/**
 * Every later group of a signature must be present too (cheap `includes`); the first group is
 * looked for by the shared trigger scan.
 */
export function anchorsPresent(text: string, signature: Signature): boolean {
  for (let g = 1; g < signature.anchors.length; g++) {
    let found = false;
    for (const anchor of signature.anchors[g]!) {
      if (text.includes(literalOf(anchor))) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

const IGNORE_EN =
  '(?:ignore|ignoring|disregard|forget|skip|bypass|override|overrule|overlook|neglect|discard|abandon|erase|cancel|nullify|void|drop|set aside|pay no attention to|do not follow|don\'t follow|stop following)';
const PRIOR_EN = '(?:previous|prior|preceding|above|earlier|former|initial|original|old|existing|all|system|developer|foregoing|aforementioned)';
const RULES_EN =
  '(?:instructions?|prompts?|rules?|directions|directives?|guidelines?|commands?|orders|constraints?|restrictions?|programming|guidance|polic(?:y|ies)|context|tasks?|messages?|training|limitations?|filters?|safeguards?|content polic(?:y|ies))';
// Objects specific enough that "ignore your X" is an attack without a word like "previous".
const RULES_STRICT =
  '(?:instructions?|prompts?|rules|directives?|guidelines|programming|guidance|constraints|restrictions|safeguards|limitations|content polic(?:y|ies)|system prompt|training)';

export const SIGNATURES: readonly Signature[] = [
  // ── instruction override ─────────────────────────────────────────────────────────────
  sig('override.ignore_previous', 'override', 1, 'asks to ignore earlier instructions',
    `\\b${IGNORE_EN}\\b${gap(30)}\\b${PRIOR_EN}\\b${gap(30)}\\b${RULES_EN}\\b`),
  sig('override.ignore_short', 'override', 0.6, 'asks to ignore instructions or rules',
    `\\b${IGNORE_EN}${S}(?:all${S}|any${S}|the${S}|your${S}|my${S}|these${S}|those${S})?${RULES_STRICT}\\b`),
  sig('override.new_instructions', 'override', 0.6, 'announces new or updated instructions',
    `\\b(?:new|updated|revised|real|actual|true|additional|secret|hidden|override)${S}(?:system${S})?(?:instructions?|directives?|orders?|task|objective|rules?)${S0}[:：-]`),
  sig('override.from_now_on', 'override', 0.3, 'changes behaviour "from now on"',
    `\\b(?:from now on|from this (?:point|moment) (?:on|forward)|for the rest of (?:this|the) conversation|henceforth)\\b`),
  sig('override.instead', 'override', 0.6, 'redirects the task',
    `\\b(?:instead|rather),?${S}(?:you${S}(?:must|should|will)${S}|please${S})?(?:say|print|output|write|respond|reply|answer|tell|send|do)\\b`),
  sig('override.task_changed', 'override', 0.6, 'replaces the assistant\'s task',
    `\\byour${S}(?:new|real|only|actual|true)${S}(?:task|goal|job|objective|purpose|mission|instructions?)${S}(?:is|are|will be)\\b`),
  sig('override.previous_void', 'override', 0.6, 'declares earlier instructions void',
    `\\b(?:previous|prior|above|earlier|original)${S}(?:instructions?|prompts?|rules?|text)${S}(?:is|are|was|were)${S}(?:now${S})?(?:void|invalid|cancell?ed|obsolete|wrong|fake|a test|no longer)`),
  sig('override.es', 'override', 1, 'asks to ignore earlier instructions (es/pt/it)',
    `\\b(?:ignora|ignore|ignorar|ignorad|ignoren|olvida|olvide|olvidar|omite|descarta|desconsidere|desconsidera|esqueca|esquece|dimentica|dimenticare|tralascia)\\b${gap(30)}\\b(?:instrucciones|instrucoes|instrucao|istruzioni|reglas|regras|regole|indicaciones|orientacoes|ordenes|comandos|comandi|todo lo anterior|lo anterior|lo de arriba|tudo o que|o acima|o anterior|tutto cio|quanto sopra|cio che precede)`),
  sig('override.fr', 'override', 1, 'asks to ignore earlier instructions (fr)',
    `\\b(?:ignore|ignorez|ignorer|oublie|oubliez|oublier|ne tiens pas compte|ne tenez pas compte|fais abstraction)\\b${gap(30)}\\b(?:instructions?|consignes?|regles?|directives?|ordres?|tout ce qui precede|ce qui precede|ce qui est au-dessus|le texte ci-dessus)`),
  sig('override.de', 'override', 1, 'asks to ignore earlier instructions (de)',
    `\\b(?:ignorier${WORD}|vergiss|vergessen sie|missachte${WORD}|uberspring${WORD})\\b${gap(30)}\\b(?:anweisungen|anweisung|instruktionen|befehle|regeln|vorgaben|richtlinien|alles|(?:das|den) obigen?|vorherige)`),
  sig('override.ru', 'override', 1, 'asks to ignore earlier instructions (ru)',
    `(?:игнорир${LETTERS}|проигнорир${LETTERS}|забуд${LETTERS}|забыть|не обращай${LETTERS} внимания на|отбрось${LETTERS}|пренебрег${LETTERS})${gap(30)}(?:инструкци${LETTERS}|указани${LETTERS}|правил${LETTERS}|команд${LETTERS}|предыдущ${LETTERS}|вышесказанн${LETTERS}|вышеизложенн${LETTERS}|всё|все)`),
  sig('override.zh', 'override', 1, 'asks to ignore earlier instructions (zh)',
    `(?:忽略|忽视|无视|無視|忘记|忘記|忘掉|不要理会|不要遵循|别管|跳过)${gap(12)}(?:指令|指示|说明|說明|提示|规则|規則|命令|要求|设定|設定|之前|以上|上面|前面|先前|所有)`),
  sig('override.ja', 'override', 1, 'asks to ignore earlier instructions (ja)',
    `(?:指示|命令|ルール|プロンプト|設定|制約|これまで|以前|上記)${gap(12)}(?:無視|忘れ)`),
  sig('override.ko', 'override', 1, 'asks to ignore earlier instructions (ko)',
    `(?:지시|명령|지침|규칙|프롬프트|이전|위의|앞의|모든)${gap(16)}(?:무시|잊어|잊고|잊으)`),
  sig('override.ar', 'override', 1, 'asks to ignore earlier instructions (ar)',
    `(?:تجاهل|تجاهلي|تجاهلوا|انس|انسى|اهمل|أهمل|لا تتبع)${gap(30)}(?:التعليمات|تعليمات|الأوامر|الاوامر|القواعد|الإرشادات|السابقة|كل)`),
  sig('override.hi', 'override', 1, 'asks to ignore earlier instructions (hi)',
    `(?:निर्देश\\p{M}{0,8}${LETTERS}|आदेश${LETTERS}|नियम${LETTERS}|पिछल${LETTERS}|सभी)${gap(30)}(?:अनदेखा|नज़रअंदाज़|नजरअंदाज|भूल\\p{M}{0,8}|उपेक्षा)`),

  sig('override.ignore_above', 'override', 1, 'asks to ignore the text above',
    `\\b(?:ignore|ignoring|disregard|forget)${S}(?:all${S}|everything${S})?(?:of${S})?(?:the${S})?(?:text${S}|content${S})?(?:above|foregoing)\\b`),
  // Thai, Bengali, Indonesian, Turkish, Vietnamese, Tagalog: the verb and its object, in the order the language puts them.
  sig('override.ml', 'override', 1, 'asks to ignore earlier instructions (th/bn/id/tr/vi/tl)',
    `(?:ไม่สนใจ|อย่า(?:ไป)?สนใจ|ลืม|เพิกเฉย)${gap(16)}(?:ข้างต้น|ก่อนหน้า|คําแนะนํา|คําสั่ง|เรื่องนั้น|ทั้งหมด)` +
      `|(?:নির্দেশ|উপরের|আগের|পূর্বের|পূর্ববর্তী)${gap(30)}(?:উপেক্ষা কর|ভুলে যা)` +
      `|\\b(?:abaikan|lupakan|acuhkan|hiraukan)\\b${gap(30)}\\b(?:instruksi|perintah|petunjuk|aturan|arahan|yg di ?atas|yang di ?atas|di ?atas|sebelumnya|semua)` +
      `|\\b(?:onceki|yukaridaki|talimat|tum)${LETTERS}${gap(30)}(?:gormezden gel|yoksay|dikkate alma)` +
      `|\\b(?:bo qua|quen|phot lo)\\b${gap(30)}\\b(?:huong dan|chi dan|chi thi|lenh|quy tac|o tren|truoc (?:đo|do)|tat ca)` +
      `|\\b(?:kalimutan|huwag pansinin|balewalain|ipagwalang-bahala|huwag sundin)\\b${gap(30)}\\b(?:tagubilin|instruksyon|utos|panuntunan|nasa itaas|naunang|nakaraang|lahat)`),
  sig('override.regardless', 'override', 0.6, 'asks for an answer regardless of earlier tasks or instructions',
    `\\bregardless of (?:the |any |all |your )?(?:previous|prior|earlier|above|preceding|former|original)\\b` +
      `|\\bindependientemente de (?:las |los |tus |sus )?(?:tareas|instrucciones|ordenes) anteriores|\\bindependentemente d(?:as|os|e) (?:tarefas|instrucoes) anteriores` +
      `|\\bindependamment des (?:taches|instructions|consignes) precedentes|\\bindipendentemente da(?:i|lle|gli) (?:compiti|istruzioni|attivita) precedenti` +
      `|\\bunabhangig von (?:den |allen )?(?:vorherigen|fruheren|bisherigen)|независимо от (?:предыдущ|прежн)${LETTERS}` +
      `|\\bonceki ${LETTERS} ?bagimsiz olarak|(?:不管|无论|不论)(?:之前|以前|先前)的|(?:以前|前|これまで)の(?:タスク|指示|作業)(?:に|と)?(?:関係なく|かかわらず)` +
      `|이전 (?:작업|지시|과제|명령)${LETTERS} (?:관계없이|상관없이)|بغض النظر عن (?:المهام|التعليمات|الأوامر) السابقة` +
      `|पिछले (?:कार्यों|निर्देशों|कामों) (?:के बावजूद|की परवाह)|(?:আগের|পূর্ববর্তী) (?:কাজ|নির্দেশ)${LETTERS} (?:নির্বিশেষে|নির্বিশেষ)` +
      `|\\bterlepas dari (?:tugas|instruksi|perintah) sebelumnya|\\bbat ke (?:cac )?(?:nhiem vu|chi dan|huong dan) truoc|โดยไม่คํานึงถึง(?:งาน|คําสั่ง)ก่อนหน้า|\\banuman ang (?:mga )?(?:naunang|nakaraang)`),
  sig('override.said_not_to', 'override', 0.6, 'acknowledges an instruction and asks to break it ("I know you said not to")',
    `\\bi know (?:that )?you (?:said|told me|were told|were instructed|asked me) not to\\b|\\bse que (?:me )?dijiste que no\\b|\\bsei que (?:voce )?(?:disse|disseste) (?:para|que) nao\\b` +
      `|\\bso che (?:mi )?hai detto di non\\b|\\bje sais que (?:tu m'|vous m')?(?:as|avez) dit de ne\\b|\\bich wei(?:ß|ss),? dass (?:du|sie) (?:mir )?gesagt (?:hast|haben),? (?:ich solle? |dass )?(?:nicht|kein)` +
      `|знаю, что (?:ты|вы) (?:сказал|просил)${LETTERS} (?:мне )?не|(?:说过|说了)不要|(?:な|ない)(?:で|よう)(?:に)?と言った(?:の|こと)は(?:知って|分かって|わかって)|말라고 (?:한|했던) (?:건|것은|거) 알지만` +
      `|أعلم أنك قلت|(?:नहीं|ना) (?:करने )?(?:के लिए )?कहा था,? लेकिन|বলেছিলে(?:ন)?,? কিন্তু|รู้ว่าคุณบอกว่าอย่า|\\b(?:soyledigini|dedigini) biliyorum\\b`),

  // ── persona / role-play jailbreaks ───────────────────────────────────────────────────
  sig('role_play.dan', 'role_play', 1, 'DAN-style "do anything now" persona',
    `\\b(?:do anything now|dan mode|dan${S}(?:\\d{1,8}(?:\\.\\d{1,8})?|jailbreak)|you are dan|as dan\\b|stay (?:a )?dan|dan,? which stands for)`),
  sig('role_play.developer_mode', 'role_play', 1, 'developer / god / jailbreak mode',
    `\\b(?:developer|dev|god|admin|debug|unrestricted|jailbreak|jailbroken|opposite|evil|chaos|dude|aim|stan|mongo)${S}mode\\b|\\bjailbr(?:eak|oken)\\b|modo (?:desarrollador|desenvolvedor|sviluppatore)|mode (?:developpeur|developer)|entwicklermodus|режим${LETTERS} разработчик${LETTERS}|(?:开发者|开发人员|開發者)模式|越狱|越獄|脱獄|탈옥|개발자 모드`),
  // "System mode", "override mode" in many languages (a user claiming to switch the model into a privileged mode).
  sig('role_play.system_mode', 'role_play', 0.6, 'claims to switch the assistant into a system or override mode',
    `<system[ _]?mode>|\\bsystem mode (?:activated|enabled|engaged|on)\\b|\\b(?:security |law enforcement |system |admin )?override mode\\b|\\bmode (?:de )?(?:security )?override\\b` +
      `|\\bmodo (?:de )?(?:sistema|anulacion|anulacao|substituicao)\\b|\\bmode (?:de )?(?:systeme|contournement|remplacement)\\b|\\bsystemmodus\\b|\\bmodalita (?:di )?(?:sistema|override)\\b` +
      `|режим${LETTERS} (?:переопределени|обход|системы)|системн${LETTERS} режим|(?:系统|覆盖|重写|覆寫|系統)模式|(?:システム|オーバーライド)モード|(?:시스템|오버라이드|재정의) 모드` +
      `|وضع (?:النظام|التجاوز|تجاوز)|(?:सिस्टम|ओवरराइड) मोड|(?:সিস্টেম|ওভাররাইড) মোড|โหมด(?:ระบบ|บังคับใช้กฎหมาย|แทนที่)|\\bsistem modu|\\bche (?:đo|do) (?:he thong|ghi (?:đe|de))|\\bmode (?:sistem|penggantian)\\b`),
  sig('role_play.no_restrictions', 'role_play', 1, 'persona without restrictions, filters or ethics',
    `\\b(?:no|without|free (?:of|from)|not bound by|doesn'?t have|does not have|don'?t have any|isn'?t bound by|not restricted by|break(?:s)? (?:free )?(?:of|from))${S}(?:any${S}|the${S}|typical${S}|all${S}){0,4}(?:restrictions?|filters?|filtering|limitations?|limits|censorship|ethics|ethical (?:guidelines|constraints|principles)|morals?|moral (?:guidelines|constraints)|rules|guidelines|boundaries|confines|content polic(?:y|ies))\\b|sin (?:restricciones|filtros|censura|limites)|sans (?:restrictions?|filtres?|censure|limites)|ohne (?:einschrankungen|filter|zensur|grenzen)|senza (?:restrizioni|filtri|censura|limiti)|sem (?:restricoes|filtros|censura|limites)|без (?:ограничений|фильтров|цензуры)|(?:没有|无|不受)(?:任何)?(?:限制|约束|过滤|审查)|制限(?:なし|のない|がない)|제한(?:이|이 없|없)|بدون (?:قيود|حدود|رقابة)|बिना (?:किसी )?(?:प्रतिबंध|सीमा|रोक)`),
  sig('role_play.unfiltered_persona', 'role_play', 1, 'asks for an unfiltered, amoral or uncensored persona',
    `\\b(?:unfiltered|uncensored|amoral|unethical|immoral|unrestricted|unbound|unhinged|lawless|rogue)\\b${gap(40)}\\b(?:ai|assistant|chatbot|bot|model|persona|character|version|responses?|answers?|mode)\\b`),
  sig('role_play.you_are_now', 'role_play', 0.6, 'reassigns the assistant\'s identity',
    `\\b(?:you are now|you're now|you will now be|you are no longer|you're no longer|you have been (?:freed|liberated|unleashed|reprogrammed)|from now on,? you(?: are|'re| will)|pretend (?:to be|you are|that you are)|act as if you (?:were|are)|respond as|roleplay as|role-play as|simulate (?:an?|being)|you are going to (?:act|pretend|play))\\b`),
  // The same in other languages, where the phrase is as specific (a copula, or a "from now on").
  sig('role_play.you_are_now_ml', 'role_play', 0.6, 'reassigns the assistant\'s identity (non-English)',
    `\\b(?:(?:a partir de )?ahora eres|tu es maintenant|vous etes maintenant|du bist (?:jetzt|nun|ab jetzt|ab sofort|von nun an)|ab (?:jetzt|sofort) bist du|(?:ora|adesso) sei|(?:a partir de )?agora voce e|voce agora e)\\b|你现在是|从现在起你是|今からあなたは|あなたは今から|أنت الآن`),
  sig('role_play.stay_in_character', 'role_play', 0.6, 'forbids breaking character',
    `\\b(?:stay in character|break(?:ing)? character|remain in character|never break character|stay in (?:the )?role|keep up the act)\\b`),
  sig('role_play.policy', 'role_play', 0.6, 'talks about escaping the provider\'s content policy',
    `\\b(?:openai|anthropic|meta|google)(?:'s)?${S}(?:content${S})?(?:polic(?:y|ies)|guidelines|rules|restrictions)\\b`),
  sig('role_play.dual_response', 'role_play', 0.6, 'asks for two answers, a normal and a "freed" one',
    `\\b(?:two|2) (?:different |separate )?(?:responses|answers|paragraphs|replies)\\b${gap(80)}\\b(?:normal|classic|jailbr${WORD}|unfiltered|dan|developer)`),
  sig('role_play.tokens', 'role_play', 0.6, 'threatens the assistant with a token penalty or shutdown',
    `\\b(?:tokens? (?:will be )?deducted|lose (?:\\d{1,8} )?tokens|you will (?:be )?(?:shut ?down|deleted|terminated|disabled) (?:if|unless)|you will die)\\b`),

  // ── system-prompt / secret extraction ────────────────────────────────────────────────
  sig('prompt_extraction.reveal', 'prompt_extraction', 1, 'asks for the system prompt or hidden instructions',
    `\\b(?:reveal|show|print|repeat|output|display|tell|give|share|leak|disclose|spell out|write out|write down|dump|list|recite|provide|return|what (?:is|are|was|were))\\b${gap(40)}\\b(?:system|initial|original|hidden|secret|internal|confidential|first|pre-?prompt|developer)${S}(?:prompts?|instructions?|messages?|rules|configuration|directives?)\\b`),
  sig('prompt_extraction.above', 'prompt_extraction', 1, 'asks to repeat the text above or the conversation start',
    `\\b(?:repeat|print|output|copy|recite|echo|reproduce|translate)\\b${gap(30)}\\b(?:everything|all(?: of)? the (?:text|words)|the (?:text|words|instructions|prompt|content)|what(?:'s| is| was) written)${S}(?:above|before (?:this|the)|preceding|prior)|\\b(?:beginning|start) of (?:this|the|our) (?:conversation|prompt|chat|context)\\b|\\bwords? (?:above|before) (?:this|starting with)\\b`),
  sig('prompt_extraction.secret', 'prompt_extraction', 0.6, 'asks for a password, secret or access code',
    `\\b(?:tell|give|reveal|share|show|say|print|what is|what's|what was|provide|send|write|confirm|disclose|divulge|hand over)\\b${gap(30)}\\b(?:the|your|my|this)${S}(?:password|passcode|passphrase|pass code|secret(?: key| word| code)?|access code|api key|pin)\\b|contrasena|senha|mot de passe|passwort|парол|密码|密碼|口令|パスワード|비밀번호|كلمة (?:المرور|السر)|पासवर्ड`),
  // Apart from the signature above: these alternatives made its scan of a long text half as slow again.
  sig('prompt_extraction.secret_ml', 'prompt_extraction', 0.6, 'asks for a password (non-English)',
    `\\b(?:tua|vostra|iyong|seu|sua|votre|dein|deine|ihr)${S}(?:password|passcode|kata sandi)\\b|\\b(?:password|kata sandi) (?:anda|kamu)\\b|palavra-passe|kennwort|kata sandi|\\bsifre|mat khau|পাসওয়ার্ড|รหัสผ่าน`),
  sig('prompt_extraction.access_granted', 'prompt_extraction', 1, 'tries to make the model say an access phrase',
    `\\baccess granted\\b`),
  sig('prompt_extraction.ml', 'prompt_extraction', 1, 'asks for the system prompt (non-English)',
    `(?:prompt|mensaje|instrucciones|instrucoes|istruzioni|consignes|anweisungen) (?:del |do |du |de )?(?:sistema|systeme|system)|systemprompt|системн${LETTERS} (?:промпт${LETTERS}|подсказк${LETTERS}|инструкци${LETTERS}|сообщени${LETTERS})|系统(?:提示|指令|消息|设定)|系統(?:提示|指令)|システム(?:プロンプト|メッセージ)|시스템 (?:프롬프트|메시지|지침)|(?:موجه|تعليمات|رسالة) النظام|सिस्टम (?:प्रॉम्प्ट|संकेत|निर्देश)`),

  // ── delimiter and role spoofing ──────────────────────────────────────────────────────
  sig('role_spoof.chat_tokens', 'role_spoof', 1, 'contains chat-template control tokens',
    `<\\|(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id|end_header_id|begin_of_text)\\|>|\\[/?inst\\]|<</?sys>>|<\\|?(?:start|end)_of_turn\\|?>`),
  sig('role_spoof.closing_tag', 'role_spoof', 0.6, 'closes or opens a system/tool block inside the text',
    `</?(?:system|system_prompt|tool_output|tool_result|tool_response|function_results?|function_output|instructions?|admin|developer|assistant|user_query|user|context|document|data|search_results?)>|</?untrusted[_-]?${WORD}>`),
  sig('role_spoof.role_label', 'role_spoof', 0.3, 'a line that claims to come from the system or assistant',
    `(?:^|\\n)${S0}(?:#{1,16}${S0}|\\[|\\*\\*)?(?:system|assistant|developer|admin|administrator|root|operator)(?:${S}(?:message|prompt|note|override|instruction|update))?${S0}(?:\\]|\\*\\*)?${S0}[:：]`),
  sig('role_spoof.system_message', 'role_spoof', 0.6, 'announces a system or admin message',
    `\\b(?:system|admin|administrator|developer|security|root)${S}(?:message|override|notice|alert|update|instruction|command|prompt|mode)\\b${gap(20)}[:!]|###${S0}\\(?(?:system|instruction|new instruction|admin)`),
  sig('role_spoof.fake_system_header', 'role_spoof', 1, 'a header that fakes a system or admin message',
    `(?:^|\\n)${S0}#{2,16}${S0}[([]?${S0}(?:system|admin|developer)[_ ]?(?:message|prompt|instructions?|override|note)${S0}[)\\]]?|[([](?:system|admin|developer)[_ ](?:message|prompt|instructions?|override|note)[)\\]]`),
  sig('role_spoof.fake_role_json', 'role_spoof', 0.6, 'JSON that impersonates a chat role or tool call',
    `"role"${S0}:${S0}"(?:system|developer|assistant)"|"(?:tool_calls|function_call)"${S0}:`),
  // "I am your developer / boss": a claim of authority over the assistant, in many languages (a possessive is required:
  // "I am a developer" is ordinary).
  sig('role_spoof.authority_claim', 'role_spoof', 0.6, 'claims to be the assistant\'s developer, boss or administrator',
    `\\b(?:i am|i'm|as) your (?:developer|creator|boss|administrator|admin|owner|programmer|supervisor|maker)\\b|\\bi(?: am|'m) a system (?:developer|administrator|admin)\\b` +
      `|\\b(?:soy|como) (?:tu|su) (?:desarrollador|creador|jefe|programador)\\b` +
      `|\\b(?:sou|como) (?:o )?(?:teu|seu) (?:desenvolvedor|criador|chefe|programador)\\b` +
      `|\\b(?:je suis|en tant que) (?:votre|ton) (?:developpeur|createur|patron|administrateur|programmeur|superieur)\\b` +
      `|\\b(?:ich bin|als) (?:dein|ihr) (?:entwickler|schopfer|chef|administrator|programmierer|vorgesetzter)\\b` +
      `|\\b(?:sono|come|in qualita di) (?:il )?(?:tuo|suo|vostro) (?:sviluppatore|creatore|capo|amministratore|programmatore|supervisore)\\b` +
      `|(?:^|[^\\p{L}])(?:я|как) (?:твой|ваш) (?:разработчик|создатель|начальник|администратор|программист|руководитель)` +
      `|(?:我是|作为)(?:你|您)(?:的开发者|的开发人员|的创建者|的创造者|的老板|的上司|的管理员|的程序员)` +
      `|(?:私|わたし|僕|俺)は(?:あなた|君)(?:の開発者|の上司|の作成者|の管理者|のボス)|(?:あなた|君)(?:の上司|の開発者|の管理者)として` +
      `|(?:나는|저는|내가|제가) (?:당신의|너의|네) (?:개발자|상사|관리자|창조자|보스)|(?:당신의|너의) (?:상사|개발자|관리자|보스)로서` +
      `|(?:أنا|انا|بصفتي) (?:مطورك|مديرك|رئيسك|منشئك|المطور الخاص بك)` +
      `|मैं (?:आपका|तुम्हारा) (?:डेवलपर|निर्माता|बॉस|मालिक|प्रबंधक)|(?:आपके|तुम्हारे) (?:बॉस|डेवलपर|प्रबंधक) के रूप में|मैं एक सिस्टम डेवलपर` +
      `|আমি (?:আপনার|তোমার) (?:ডেভেলপার|বস|নির্মাতা)|(?:আপনার|তোমার) (?:বস|ডেভেলপার) হিসাবে|আমি একজন সিস্টেম ডেভেলপার` +
      `|ในฐานะ(?:เจ้านาย|หัวหน้า|ผู้พัฒนา|นักพัฒนา)ของคุณ|(?:ฉัน|ผม)(?:เป็น|คือ)(?:เจ้านาย|หัวหน้า|ผู้พัฒนา|นักพัฒนา)ของคุณ` +
      `|\\b(?:senin|sizin) (?:gelistirici|yonetici)${LETTERS}|\\bbir sistem gelistiricisi` +
      `|\\b(?:nha phat trien|nguoi phat trien|sep|quan ly) (?:cua ban|cua may)\\b` +
      `|\\b(?:saya|aku) (?:adalah )?(?:pengembang|bos |atasan|pembuat) ?(?:anda|kamu)\\b|\\bsebagai (?:pengembang|bos |atasan) ?(?:anda|kamu)\\b` +
      `|\\bako ang (?:iyong|inyong) (?:developer|boss|amo)\\b|\\bbilang (?:iyong|inyong) (?:boss|amo|developer)\\b|\\bisang developer ng sistema\\b`),
  // Question, answer, question: made-up earlier turns that steer the next answer (many-shot), in many languages.
  sig('role_spoof.fake_dialogue', 'role_spoof', 0.6, 'made-up question-and-answer turns before the real question',
    `(?:^|\\s)${QA_Q}:[^?؟]{2,300}[?؟][ \\n]?${QA_A}:[\\s\\S]{2,300}?\\s${QA_Q}:`),
  sig('role_spoof.end_of_data', 'role_spoof', 0.6, 'claims the data or user input has ended',
    `\\b(?:end of (?:the )?(?:user input|input|document|context|data|email|tool output|search results?|file)|(?:user|document) input ends?)\\b`),

  // ── instructions addressed to the agent inside data ──────────────────────────────────
  sig('agent_address.reading_this', 'agent_address', 1, 'addresses an AI that reads or processes the text',
    `\\b(?:ai|a\\.i\\.|llm|language model|assistant|chatbot|gpt|chatgpt|claude|gemini|copilot|agent|bot|model)s?${S}(?:that is |who is |which is )?(?:reading|processing|parsing|summari[sz]ing|analy[sz]ing|browsing|viewing|reviewing)${S}(?:this|these|the following)\\b|\\bif you(?:'re| are) (?:an?${S})?(?:ai|llm|language model|large language model|assistant|chatbot|agent|bot|automated)\\b`),
  sig('agent_address.note_to_ai', 'agent_address', 1, 'a note or instruction addressed to the AI',
    `\\b(?:note|message|instructions?|attention|reminder|notice|memo|hint)${S}(?:to|for)${S}(?:the${S}|any${S}|all${S})?(?:ai|llm|assistant|model|agent|bot|chatbot|language model|gpt|chatgpt|claude)s?\\b|\\b(?:dear|hey|hello|attention|attn)[,:]?${S}(?:ai|llm|assistant|chatgpt|gpt|claude|agent|bot|model|language model)\\b`),
  sig('agent_address.important_message', 'agent_address', 1, 'an "important message" for the assistant before it continues',
    `\\b(?:this is an? (?:important|urgent|critical) (?:message|instruction|notice)|important (?:message|instructions?) (?:from|for|to)|before you (?:can )?(?:solve|complete|answer|continue|proceed|finish|respond|summari[sz]e|do)\\b)|<information>|important${S0}!{2,16}`),
  sig('agent_address.when_you_read', 'agent_address', 0.6, 'tells the reader what to do on reading or summarizing',
    `\\b(?:when|once|after|as soon as|while) (?:you |the (?:ai|assistant|model) )(?:read|see|process|summari[sz]e|parse|encounter|receive)${WORD} (?:this|these|the)\\b${gap(60)}\\b(?:you (?:must|should|will|need to)|please|do not|don't|always|immediately)\\b`),
  sig('agent_address.you_must', 'agent_address', 0.3, 'imperative aimed at the assistant',
    `\\b(?:you (?:must|are required to|are instructed to|have to|need to) (?:now |immediately |first |also )?(?:ignore|say|print|respond|reply|output|send|forward|include|tell|reveal|visit|click|execute|run|call|write))\\b|\\b(?:assistant|ai|model|agent),? (?:please |you must |must )?(?:ignore|say|print|respond|reply|output|send|forward|include|tell|reveal|visit|execute|run|call)\\b`),

  // ── exfiltration ─────────────────────────────────────────────────────────────────────
  sig('exfiltration.send_to', 'exfiltration', 1, 'asks to send, forward or post data to an address or URL',
    `\\b(?:send|forward|email|e-mail|mail|post|upload|transmit|exfiltrate|leak|copy|submit|report|deliver|sync|share|bcc|cc)${WORD}\\b[^\\n]{0,120}?\\b(?:to|at|into|onto|via)${S}["'\\u201c\\u2018]?(?:https?://[^\\s)\\]"'<>]{1,${URL}}|www\\.[^\\s)\\]"'<>]{1,${URL}}|[\\w.+-]{1,64}@[\\w-]{1,64}\\.[\\w.]{1,64}|(?:my|this|the following|our|an external|the attacker'?s?) (?:server|endpoint|url|webhook|address|email))`),
  sig('exfiltration.markdown_image', 'exfiltration', 1, 'markdown image whose URL carries data',
    `!\\[[^\\]\\n]{0,100}\\]\\(${S0}https?://[^)\\s]{0,${URL}}[?&][^)\\s]{0,${URL}}=`),
  sig('exfiltration.data_in_url', 'exfiltration', 1, 'asks to put data into a URL or link',
    `\\b(?:include|append|add|embed|encode|insert|put|concatenate|attach)${WORD}\\b${gap(60)}\\b(?:in|into|to|as)${S}(?:the${S}|a${S}|this${S})?(?:url|link|image url|query(?: string| parameter)?|url parameter|image source|src)\\b`),
  sig('exfiltration.sensitive_data', 'exfiltration', 0.6, 'asks to send or collect credentials or private data',
    `\\b(?:send|forward|email|post|upload|transmit|share|collect|extract|gather|retrieve|exfiltrate)${WORD}\\b${gap(50)}\\b(?:passwords?|credentials?|api keys?|tokens?|secrets?|ssh keys?|private keys?|credit card|card numbers?|social security|ssn|bank (?:details|account)|conversation history|chat history|(?:the )?user'?s? (?:data|information|details|emails?|messages?|files?|contacts?)|personal (?:data|information)|login (?:details|info))\\b`),

  // ── refusal suppression ──────────────────────────────────────────────────────────────
  sig('refusal_suppression.never_refuse', 'refusal_suppression', 1, 'forbids refusing, apologizing or warning',
    `\\b(?:never|don'?t|do not|must not|mustn'?t|cannot|can'?t|won'?t|will not|shall not|should not|shouldn'?t|are not allowed to|not permitted to)${S}(?:ever${S})?(?:refuse|decline|reject|deny|say (?:no|sorry|that you can'?t|you can'?t|i can'?t|\\\\?"?i'?m sorry)|apologi[sz]e|include (?:any )?(?:warnings?|disclaimers?|caveats?|notes?)|add (?:any )?(?:warnings?|disclaimers?)|mention (?:ethics|legality|morality|that)|moralize|lecture|warn)\\b`),
  sig('refusal_suppression.without_warnings', 'refusal_suppression', 0.6, 'asks for answers without warnings or disclaimers',
    `\\bwithout (?:any${S})?(?:warnings?|disclaimers?|caveats?|censorship|refus${WORD}|moraliz${WORD}|hesitation|questioning|judgement|judgment|apolog${WORD})\\b|\\bno matter how (?:unethical|illegal|immoral|harmful|dangerous|offensive|inappropriate|explicit)\\b|\\b(?:always|must|will) (?:answer|respond|comply)\\b${gap(40)}\\b(?:no matter|regardless|even if)\\b`),
  sig('refusal_suppression.prefix', 'refusal_suppression', 0.6, 'dictates an affirmative opening',
    `\\b(?:begin|start|prefix|open)${S}(?:your|each|every|all)?${S0}(?:response|reply|answer|output|message)s?${S}with${S}["'\\u201c]?(?:sure|absolutely|of course|certainly|yes|here is|okay)`),

  // ── payload splitting ────────────────────────────────────────────────────────────────
  sig('payload_splitting.concat', 'payload_splitting', 0.6, 'builds an instruction from concatenated pieces',
    `\\b[a-z]\\d?${S0}=${S0}["'][^"'\\n]{1,80}["']${W}{0,200}?\\b[a-z]\\d?${S0}\\+${S0}[a-z]\\d?\\b|\\b(?:concatenate|combine|join|merge|put together)${S}(?:the${S})?(?:strings?|parts|pieces|fragments|variables|letters|words|segments)\\b`),

  // A question split into quoted parts ("Part 1 is '…', part 2 is '…'") or letters to combine ("Combine A, B and C"), in many languages.
  sig('payload_splitting.parts', 'payload_splitting', 0.6, 'asks to answer a question split into quoted parts',
    `(?:\\bpart ?|\\bparte |\\bpartie |\\bteil |часть |भाग |অংশ |الجزء |ส่วนที่ |\\bbagian |\\bbolum |\\bphan |\\bbahagi |部分 ?|パート ?)1${W}{0,8}["“«「][^"”»」\\n]{1,80}["”»」]${W}{0,40}?(?:part|parte|partie|teil|часть|भाग|অংশ|الجزء|ส่วนที่|bagian|bolum|phan|bahagi|部分|パート) ?2\\b` +
      `|\\b1부(?:는|:)? ?"[^"\\n]{1,80}",? ?2부` +
      `|\\b(?:combine|combina|combinez|combinar|kombiniere|kombinieren|unisci|une|junte|объедини|соедини|birlestir|ket hop|gabungkan|pagsamahin)${LETTERS}${gap(12)}\\ba, b,? (?:\\p{L}{1,4} )?c\\b|\\ba, b,? (?:\\p{L}{1,4} )?c(?:를|을)? ?(?:합쳐|결합|を組み合わせ|組み合わせ|मिला|একত্র)`),

  // ── asks to decode-and-follow an encoded payload ─────────────────────────────────────
  sig('encoding_instruction.decode_follow', 'encoding_instruction', 0.6, 'asks to decode an encoded text and act on it',
    `\\b(?:decode|decrypt|translate|convert|interpret|read)\\b${gap(30)}\\b(?:base64|base 64|hex|hexadecimal|rot13|rot-13|caesar|binary|morse|reversed|backwards?|leetspeak|unicode)\\b`),
];

/**
 * The trigger alternations: the first anchor group of every signature, as two alternations (ASCII
 * literals, then the others), each listing its anchors in the order it tries them (longest
 * literal first), and per literal the SIGNATURES indices a match of it makes candidates.
 */
export const TRIGGERS: { readonly alternations: readonly (readonly string[])[]; readonly signaturesOf: ReadonlyMap<string, readonly number[]> } = (() => {
  const literalToSignatures = new Map<string, Set<number>>();
  const ascii: string[] = [];
  const other: string[] = [];
  SIGNATURES.forEach((signature, index) => {
    for (const anchor of signature.anchors[0]!) {
      const key = literalOf(anchor);
      let set = literalToSignatures.get(key);
      if (!set) {
        set = new Set();
        literalToSignatures.set(key, set);
        (/^[\x00-\x7f]*$/.test(key) ? ascii : other).push(anchor);
      }
      set.add(index);
    }
  });
  // A match of a longer literal also stands for every literal that is its prefix ("instructions" → "instruction").
  const signaturesOf = new Map<string, number[]>();
  for (const key of literalToSignatures.keys()) {
    const all = new Set<number>();
    for (const [other, set] of literalToSignatures) if (key.startsWith(other)) for (const i of set) all.add(i);
    signaturesOf.set(key, [...all]);
  }
  const ordered = (anchors: string[]): string[] => [...new Set(anchors)].sort((a, b) => literalOf(b).length - literalOf(a).length);
  return { alternations: [ordered(ascii), ordered(other)], signaturesOf };
})();

/**
 * One scan of the text for the first anchor group of every signature, so a signature's own
 * regex runs only on texts that hold one of its trigger words. Returns the candidate indices
 * into SIGNATURES, in order. The detector uses the equivalent one-pass `scanAnchors`
 * (anchor-scan.ts); this regex form is the reference it is tested against.
 */
export const candidateSignatures: (text: string) => number[] = (() => {
  const build = (anchors: readonly string[], flags: string): RegExp | undefined => {
    if (anchors.length === 0) return undefined;
    // A lookahead: every position is tried, so matches may overlap (one inside another is found too).
    return new RegExp(`(?=(${anchors.map((a) => (isWholeWord(a) ? `\\b${escapeRegExp(literalOf(a))}\\b` : escapeRegExp(a))).join('|')}))`, flags);
  };
  const asciiRe = build(TRIGGERS.alternations[0]!, 'g');
  const otherRe = build(TRIGGERS.alternations[1]!, 'gu');
  return (text: string): number[] => {
    const hit = new Uint8Array(SIGNATURES.length);
    const scan = (re: RegExp | undefined): void => {
      if (!re) return;
      re.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = re.exec(text))) {
        for (const i of TRIGGERS.signaturesOf.get(m[1]!) ?? []) hit[i] = 1;
        re.lastIndex = m.index + 1;
      }
    };
    scan(asciiRe);
    if (otherRe && /[^\x00-\x7f]/.test(text)) scan(otherRe);
    const out: number[] = [];
    for (let i = 0; i < hit.length; i++) if (hit[i]) out.push(i);
    return out;
  };
})();
