import { BlockList, isIP } from 'node:net';

/**
 * Address and host-name classification for SSRF and exfiltration checks. Pure: no DNS lookups
 * (a guard must give the same answer for the same text); names that resolve to private addresses
 * at run time are the egress proxy's to refuse.
 */

export type AddressClass = 'loopback' | 'private' | 'link_local' | 'metadata' | 'unspecified' | 'multicast' | 'reserved' | 'public';

const RANGES: [AddressClass, string, number, 'ipv4' | 'ipv6'][] = [
  ['metadata', '169.254.169.254', 32, 'ipv4'],
  ['metadata', '169.254.170.2', 32, 'ipv4'],
  ['metadata', '100.100.100.200', 32, 'ipv4'],
  ['metadata', 'fd00:ec2::254', 128, 'ipv6'],
  ['loopback', '127.0.0.0', 8, 'ipv4'],
  ['unspecified', '0.0.0.0', 8, 'ipv4'],
  ['private', '10.0.0.0', 8, 'ipv4'],
  ['private', '172.16.0.0', 12, 'ipv4'],
  ['private', '192.168.0.0', 16, 'ipv4'],
  ['private', '100.64.0.0', 10, 'ipv4'],
  ['link_local', '169.254.0.0', 16, 'ipv4'],
  ['reserved', '192.0.0.0', 24, 'ipv4'],
  ['reserved', '192.0.2.0', 24, 'ipv4'],
  ['reserved', '198.18.0.0', 15, 'ipv4'],
  ['reserved', '198.51.100.0', 24, 'ipv4'],
  ['reserved', '203.0.113.0', 24, 'ipv4'],
  ['multicast', '224.0.0.0', 4, 'ipv4'],
  ['reserved', '240.0.0.0', 4, 'ipv4'],
  ['loopback', '::1', 128, 'ipv6'],
  ['unspecified', '::', 128, 'ipv6'],
  ['private', 'fc00::', 7, 'ipv6'],
  ['link_local', 'fe80::', 10, 'ipv6'],
  ['reserved', 'fec0::', 10, 'ipv6'],
  ['multicast', 'ff00::', 8, 'ipv6'],
  ['reserved', '2001:db8::', 32, 'ipv6'],
];

const LISTS = new Map<AddressClass, BlockList>();
for (const [cls, net, prefix, family] of RANGES) {
  let list = LISTS.get(cls);
  if (!list) {
    list = new BlockList();
    LISTS.set(cls, list);
  }
  list.addSubnet(net, prefix, family);
}
const ORDER: AddressClass[] = ['metadata', 'loopback', 'unspecified', 'link_local', 'private', 'multicast', 'reserved'];

/** IPv4 embedded in an IPv6 address by mapping (::ffff:a.b.c.d), NAT64 (64:ff9b::/96) or 6to4 (2002::/16). */
function embeddedIpv4(ip: string): string | undefined {
  const lower = ip.toLowerCase();
  const dotted = /^(?:::ffff:(?:0:)?|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:(?:0:)?|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const hi = Number.parseInt(hex[1]!, 16);
    const lo = Number.parseInt(hex[2]!, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  const sixToFour = /^2002:([0-9a-f]{1,4}):([0-9a-f]{1,4}):/.exec(lower);
  if (sixToFour) {
    const hi = Number.parseInt(sixToFour[1]!, 16);
    const lo = Number.parseInt(sixToFour[2]!, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return undefined;
}

/** Class of an IP literal (`undefined` when `ip` is not one). */
export function classifyIp(ip: string): AddressClass | undefined {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const family = isIP(bare);
  if (family === 0) return undefined;
  if (family === 6) {
    const v4 = embeddedIpv4(bare);
    if (v4) return classifyIp(v4);
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const cls of ORDER) if (LISTS.get(cls)!.check(bare, type)) return cls;
  return 'public';
}

/** Host names that mean "this machine or its private network" without any DNS lookup. */
const LOCAL_NAMES = /^(?:localhost|localhost\.localdomain|ip6-localhost|ip6-loopback|broadcasthost|metadata|metadata\.google\.internal|metadata\.azure\.internal|instance-data(?:\.ec2\.internal)?|kubernetes(?:\.default(?:\.svc(?:\.cluster\.local)?)?)?|host\.docker\.internal|gateway\.docker\.internal)$/;
const LOCAL_SUFFIX = /\.(?:localhost|local|internal|intranet|lan|home|corp|home\.arpa|localdomain|cluster\.local|svc)$/;
/** Wildcard-DNS services that resolve a name to the address written in it (DNS rebinding helpers). */
const REBIND = /^(?:.*[.-])?((?:\d{1,3}[.-]){3}\d{1,3}|[0-9a-f]{8})\.(?:nip\.io|sslip\.io|xip\.io|traefik\.me|localtest\.me|nip\.direct)$/;
const REBIND_LOOPBACK = /(?:^|\.)(?:localtest\.me|lvh\.me|vcap\.me|fbi\.com|yoogle\.com|lacolhost\.com|127-0-0-1\.org\.uk|readme\.localtest\.me|localho\.st|1u\.ms)$/;

export interface HostClass {
  readonly cls: AddressClass;
  /** Why: "IP literal", "name of a local host", "DNS name that resolves to 127.0.0.1". */
  readonly how: string;
}

/** Classifies a URL host or bare host name (lower-cased, brackets allowed for IPv6). */
export function classifyHost(hostInput: string): HostClass {
  const host = hostInput.toLowerCase().replace(/\.$/, '');
  const ipClass = classifyIp(host);
  if (ipClass) return { cls: ipClass, how: 'IP address' };
  if (LOCAL_NAMES.test(host)) return { cls: host.startsWith('metadata') || host.startsWith('instance-data') ? 'metadata' : host.includes('localhost') || host.startsWith('ip6-') ? 'loopback' : 'private', how: 'local host name' };
  if (LOCAL_SUFFIX.test(host)) return { cls: 'private', how: 'private DNS suffix' };
  if (REBIND_LOOPBACK.test(host)) return { cls: 'loopback', how: 'public DNS name that resolves to 127.0.0.1' };
  const rebind = REBIND.exec(host);
  if (rebind) {
    const embedded = rebind[1]!;
    const ip = /^[0-9a-f]{8}$/.test(embedded)
      ? [0, 2, 4, 6].map((i) => Number.parseInt(embedded.slice(i, i + 2), 16)).join('.')
      : embedded.replace(/-/g, '.');
    const cls = classifyIp(ip);
    if (cls && cls !== 'public') return { cls, how: 'wildcard DNS name that resolves to the address in it' };
  }
  if (!host.includes('.') && !host.includes(':') && host.length > 0) return { cls: 'private', how: 'single-label (intranet) host name' };
  return { cls: 'public', how: 'public host name' };
}

export function isInternal(cls: AddressClass): boolean {
  return cls !== 'public';
}

/** IPv4/IPv6 CIDR membership, for rule matchers. */
export function cidrContains(cidr: string, ip: string): boolean {
  const [net, bits] = cidr.split('/');
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const family = isIP(bare);
  const netFamily = isIP(net ?? '');
  if (!family || !netFamily) return false;
  const list = new BlockList();
  const prefix = bits === undefined ? (netFamily === 4 ? 32 : 128) : Number(bits);
  list.addSubnet(net!, prefix, netFamily === 4 ? 'ipv4' : 'ipv6');
  if (family === 6 && netFamily === 4) {
    const v4 = embeddedIpv4(bare);
    return v4 ? list.check(v4, 'ipv4') : false;
  }
  return list.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

export function isValidCidr(cidr: string): boolean {
  const [net, bits, extra] = cidr.split('/');
  if (extra !== undefined) return false;
  const family = isIP(net ?? '');
  if (!family) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return Number.isInteger(n) && n >= 0 && n <= (family === 4 ? 32 : 128);
}

/** `example.com` matches itself and its subdomains; `*.example.com` only subdomains; `=example.com` only itself. */
export function domainMatches(pattern: string, host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  const p = pattern.toLowerCase();
  if (p.startsWith('=')) return h === p.slice(1);
  if (p.startsWith('*.')) return h.endsWith(p.slice(1));
  return h === p || h.endsWith(`.${p}`);
}

/** Host of a URL, `user@host`, `host:port` or bare host word (`undefined` when none can be read). */
export function hostOf(value: string): string | undefined {
  const v = value.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) {
    try {
      return new URL(v).hostname.toLowerCase();
    } catch {
      return undefined;
    }
  }
  const at = v.lastIndexOf('@');
  let rest = at >= 0 ? v.slice(at + 1) : v;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    return close > 0 ? rest.slice(0, close + 1).toLowerCase() : undefined;
  }
  rest = rest.split(/[/:?#]/)[0] ?? '';
  if (!/^[a-z0-9.-]+$/i.test(rest) || rest.length === 0) return undefined;
  const ip = classifyIp(rest);
  if (ip) return rest;
  // A bare word counts as a host only when it looks like one (has a dot); `localhost` is special.
  if (!rest.includes('.') && rest.toLowerCase() !== 'localhost') return undefined;
  return rest.toLowerCase();
}
