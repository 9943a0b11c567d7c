import { BlockList, isIP } from 'node:net';
import { globMatch } from '../../core/index.js';

/** Addresses an agent must not reach through the egress proxy unless the operator allows private ranges. */
const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  PRIVATE.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  PRIVATE.addSubnet(net, bits, 'ipv6');
}

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return PRIVATE.check(address, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return PRIVATE.check(mapped[1]!, 'ipv4');
    return PRIVATE.check(address, 'ipv6');
  }
  return true;
}

export interface DestinationRules {
  /** Host globs that may be reached; empty: any host not denied. */
  readonly allowDomains: readonly string[];
  readonly denyDomains: readonly string[];
  readonly allowPorts: readonly number[];
  readonly allowPrivate: boolean;
}

export type DestinationVerdict = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

function hostMatches(glob: string, host: string): boolean {
  // `example.com` also covers its subdomains; `*.example.com` only the subdomains.
  if (!glob.includes('*')) return host === glob || host.endsWith(`.${glob}`);
  return globMatch(glob, host);
}

/** Judges a host name before it is resolved (names, ports) — addresses are judged after resolution. */
export function judgeHost(rules: DestinationRules, host: string, port: number): DestinationVerdict {
  const name = host.toLowerCase().replace(/\.$/, '');
  if (rules.allowPorts.length > 0 && !rules.allowPorts.includes(port)) return { allowed: false, reason: `port ${port} is not allowed` };
  if (rules.denyDomains.some((g) => hostMatches(g.toLowerCase(), name))) return { allowed: false, reason: 'host is on the deny list' };
  if (rules.allowDomains.length > 0 && !rules.allowDomains.some((g) => hostMatches(g.toLowerCase(), name))) return { allowed: false, reason: 'host is not on the allow list' };
  if (isIP(name) && !rules.allowPrivate && isPrivateAddress(name)) return { allowed: false, reason: 'private, loopback or link-local address' };
  return { allowed: true };
}

export function judgeAddress(rules: DestinationRules, address: string): DestinationVerdict {
  if (!rules.allowPrivate && isPrivateAddress(address)) return { allowed: false, reason: 'resolves to a private, loopback or link-local address' };
  return { allowed: true };
}
