import dns from 'node:dns/promises';
import net from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Where a merchant may make us send requests. In production only https to public unicast
 * addresses: loopback, private, link-local, carrier-grade NAT, multicast, reserved and the
 * other special-use ranges (as ipaddr.js classifies them) are refused, so an endpoint cannot
 * point the service at its own network. Development and the sandbox also allow plain http to
 * loopback (`http://localhost:...`), for receivers on the developer's machine.
 */
export interface UrlPolicy {
  production: boolean;
  /** DNS lookup; tests replace it. */
  resolve?: (hostname: string) => Promise<string[]>;
}

export interface PinnedAddress {
  address: string;
  family: 4 | 6;
}

export type UrlVerdict = { ok: true; url: URL; addresses: PinnedAddress[] } | { ok: false; reason: string };

const systemResolve = async (hostname: string) => (await dns.lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

function rangeOf(address: string): string {
  return ipaddr.process(address).range();
}

/** The shape of the URL alone (no DNS): protocol, credentials, host. */
export function urlShapeProblem(raw: string, production: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username || url.password) return 'must not carry credentials';
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an https URL';
  if (url.protocol === 'http:' && (production || !isLoopbackName(url.hostname))) {
    return production ? 'must be an https URL' : 'must be https (plain http is allowed only to localhost outside production)';
  }
  return undefined;
}

const bare = (hostname: string) => hostname.replace(/^\[|\]$/g, '');
function isLoopbackName(hostname: string): boolean {
  const h = bare(hostname).toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  return net.isIP(h) !== 0 && rangeOf(h) === 'loopback';
}

/**
 * Resolves the URL's host and checks every address it resolves to. The caller connects only to
 * the returned addresses (pinned), so a DNS answer that changes between check and connect cannot
 * move the request somewhere refused.
 */
export async function checkEndpointUrl(raw: string, policy: UrlPolicy): Promise<UrlVerdict> {
  const shape = urlShapeProblem(raw, policy.production);
  if (shape) return { ok: false, reason: `url ${shape}` };
  const url = new URL(raw);
  const host = bare(url.hostname);
  let addresses: string[];
  if (net.isIP(host)) addresses = [host];
  else {
    try {
      addresses = await (policy.resolve ?? systemResolve)(host);
    } catch {
      return { ok: false, reason: `url host ${host} does not resolve` };
    }
  }
  if (!addresses.length) return { ok: false, reason: `url host ${host} does not resolve` };
  const allowed = new Set(policy.production ? ['unicast'] : ['unicast', 'loopback']);
  for (const address of addresses) {
    if (!ipaddr.isValid(address)) return { ok: false, reason: `url host ${host} resolves to an invalid address` };
    const range = rangeOf(address);
    if (!allowed.has(range)) return { ok: false, reason: `url host ${host} resolves to a ${range} address, which is not allowed` };
  }
  const pinned = addresses.map((a) => ipaddr.process(a).toString()).map((address) => ({ address, family: net.isIP(address) === 6 ? 6 as const : 4 as const }));
  return { ok: true, url, addresses: pinned };
}
