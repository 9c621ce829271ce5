import { checkEndpointUrl } from '../../src/webhooks/url-policy';

const resolvesTo = (...addresses: string[]) => async () => addresses;

describe('webhook endpoint URL policy', () => {
  const production = { production: true, resolve: resolvesTo('93.184.216.34') };

  it('in production allows https to public addresses and pins the address it checked', async () => {
    const v = await checkEndpointUrl('https://hooks.shop.example/in', production);
    expect(v).toMatchObject({ ok: true, addresses: [{ address: '93.184.216.34', family: 4 }] });
    expect(await checkEndpointUrl('https://[2606:4700:4700::1111]/in', production)).toMatchObject({ ok: true, addresses: [{ address: '2606:4700:4700::1111', family: 6 }] });
  });

  it.each([
    ['http://hooks.shop.example/in', 'must be an https URL'],
    ['http://localhost:3000/in', 'must be an https URL'],
    ['https://127.0.0.1/in', 'loopback'],
    ['https://[::1]/in', 'loopback'],
    ['https://[::ffff:127.0.0.1]/in', 'loopback'],
    ['https://10.1.2.3/in', 'private'],
    ['https://192.168.0.10/in', 'private'],
    ['https://172.16.5.4/in', 'private'],
    ['https://169.254.169.254/latest', 'linkLocal'],
    ['https://[fe80::1]/in', 'linkLocal'],
    ['https://[fd00::1]/in', 'uniqueLocal'],
    ['https://100.64.0.1/in', 'carrierGradeNat'],
    ['https://0.0.0.0/in', 'unspecified'],
    ['https://224.0.0.1/in', 'multicast'],
  ])('in production refuses %s', async (url, says) => {
    const v = await checkEndpointUrl(url, production);
    expect(v.ok).toBe(false);
    expect(!v.ok && v.reason).toContain(says);
  });

  it('in production refuses a name that resolves (even partly) to a private or loopback address', async () => {
    for (const answer of [['10.0.0.5'], ['93.184.216.34', '127.0.0.1'], ['::1']]) {
      const v = await checkEndpointUrl('https://rebind.example/in', { production: true, resolve: resolvesTo(...answer) });
      expect(v.ok).toBe(false);
    }
    const unresolvable = await checkEndpointUrl('https://nowhere.invalid/in', { production: true, resolve: async () => { throw new Error('ENOTFOUND'); } });
    expect(!unresolvable.ok && unresolvable.reason).toContain('does not resolve');
  });

  it('outside production also allows plain http to localhost and loopback, and nothing else', async () => {
    const dev = { production: false };
    expect(await checkEndpointUrl('http://localhost:4000/in', dev)).toMatchObject({ ok: true });
    expect(await checkEndpointUrl('http://127.0.0.1:4000/in', dev)).toMatchObject({ ok: true, addresses: [{ address: '127.0.0.1', family: 4 }] });
    expect(await checkEndpointUrl('http://[::1]:4000/in', dev)).toMatchObject({ ok: true, addresses: [{ address: '::1', family: 6 }] });
    expect((await checkEndpointUrl('http://hooks.shop.example/in', dev)).ok).toBe(false);
    expect((await checkEndpointUrl('https://10.0.0.5/in', dev)).ok).toBe(false);
  });
});
