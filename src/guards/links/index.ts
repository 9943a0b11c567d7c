import { z } from 'zod';
import { type Finding, findingFor, type Guard, type GuardFactory, type Segment, trailingTokenSuffix } from '../../core/index.js';
import { analyzeUrl, urlsInText, type UrlPolicy } from '../toolcalls/urls.js';

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
        const findings: Finding[] = [];
        for (const link of urlsInText(segment.text)) {
          for (const issue of analyzeUrl(link.url, policy)) {
            findings.push(findingFor(options.id, segment, `link.${issue.category}`, issue.level === 'deny' ? issue.score : Math.min(issue.score, 0.7), `${link.image ? 'image' : 'link'}: ${issue.reason}`, { start: link.start, end: link.end }));
          }
        }
        return findings;
      },
    };
  },
};
