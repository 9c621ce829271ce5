import { startStack, type Stack } from '../../support/stack';
import type { ServiceProcess } from '../../support/process';

jest.setTimeout(60_000);

let s: Stack;
let api: ServiceProcess;
beforeAll(async () => {
  // Clients at addresses of their own, behind a proxy on loopback.
  s = await startStack({ env: { AUTH_FAILURES_PER_IP: '3', TRUST_PROXY: 'loopback' } });
  api = await s.start('api');
});
afterAll(async () => {
  await s?.close();
});

const forged = (i: number) => `/link/tok_guess${i}.AAAAAAAAAAAAAAAAAAAAAA`;
const from = (ip: string, path: string) => fetch(`${s.apiUrl}${path}`, { headers: { 'X-Forwarded-For': ip } });

describe('guessing signup links', () => {
  it('after 3 forged links from one address, that address gets a page saying when to retry; other buyers go on', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await from('203.0.113.50', forged(i));
      expect(res.status).toBe(404);
      expect(await res.text()).toContain('This link is not valid');
    }
    const blocked = await from('203.0.113.50', forged(9));
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('content-type')).toMatch(/html/);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await blocked.text()).toContain('Too many requests');

    const other = await from('198.51.100.50', forged(10));
    expect(other.status).toBe(404);

    const warned = api.output().split('\n').filter((l) => l.includes('"authentication failed"') && l.includes('203.0.113.50'));
    expect(warned).toHaveLength(3);
    expect(warned[0]).toContain('"signup_link"');
    expect(api.output()).not.toContain('tok_guess0.');
  });
});
