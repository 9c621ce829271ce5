import { eventually, startStack, type Stack } from '../../support/stack';
import { cookieBrowser, csrfIn } from '../../support/browser';
import { cspDirectives } from '../../../src/pages/csp';

jest.setTimeout(120_000);

let s: Stack;
let key: string;

beforeAll(async () => {
  s = await startStack();
  await Promise.all([s.start('api'), s.start('worker'), s.start('ingest')]);
  key = (await s.createMerchant('Cup Co')).apiKey;
  await s.createProduct(key, { name: 'Tea Cup', hashtag: 'BuyTeaCup', unit_amount: 900, currency: 'eur', inventory: 5 });
  await eventually(() => s.x.rules().some((r) => r.value.includes('#BuyTeaCup')), 15_000, 'stream rule');
});
afterAll(async () => {
  await s?.close();
});

const browser = () => cookieBrowser(() => s.apiUrl);

async function signupLink(username: string): Promise<{ userId: string; path: string; postId: string }> {
  const u = s.x.createUser({ username });
  const post = s.post({ author_id: u.id, text: '@shop #BuyTeaCup' });
  const [reply] = await eventually(() => (s.repliesTo(post.id).length ? s.repliesTo(post.id) : null), 20_000, 'signup reply');
  return { userId: u.id, path: new URL(/(http:\/\/\S+\/link\/\S+)/.exec(reply!.text)![1]!).pathname, postId: post.id };
}

describe('buyer pages: hygiene and security', () => {
  it('serves a strict CSP that lets forms reach only us, Stripe Checkout and X, and no https upgrade over http', async () => {
    const { path } = await signupLink('hyg1');
    const res = await fetch(`${s.apiUrl}${path}`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain(`form-action 'self' ${new URL(s.stripe.url).origin} ${new URL(s.x.url).origin}`);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const cookies = res.headers.getSetCookie().join('\n');
    expect(cookies).toMatch(/hc\.sid=.*HttpOnly.*SameSite=Lax/);
    expect(cookies).not.toMatch(/Secure/);
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*src="\/assets\/)/);
    expect(html).toMatch(/<label|<button type="submit">Continue with X<\/button>/);
  });

  it('over https the policy upgrades requests', () => {
    const d = cspDirectives({ PUBLIC_BASE_URL: 'https://shop.example', STRIPE_API_BASE: undefined, X_API_BASE: undefined });
    expect(d.upgradeInsecureRequests).toEqual([]);
    expect(d.formAction).toEqual(["'self'", 'https://checkout.stripe.com', 'https://x.com', 'https://twitter.com']);
  });

  it('refuses a form without its CSRF token (HTML page, no trip to X)', async () => {
    const { path } = await signupLink('hyg2');
    const b = browser();
    await b.fetch(path);
    const res = await b.post(`${path}/continue`, {});
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toContain('This form has expired');
  });

  it('sends the buyer to X with PKCE S256 and minimal scopes; the state works once, only in the browser that started it', async () => {
    const { path } = await signupLink('hyg3');
    const a = browser();
    const csrf = csrfIn(await (await a.fetch(path)).text());
    const res = await a.post(`${path}/continue`, { _csrf: csrf });
    expect(res.status).toBe(303);
    const to = new URL(res.headers.get('location')!);
    expect(to.origin + to.pathname).toBe(`${s.x.url}/i/oauth2/authorize`);
    expect(to.searchParams.get('code_challenge_method')).toBe('s256');
    expect(to.searchParams.get('scope')!.split(' ').sort()).toEqual(['tweet.read', 'users.read']);
    expect(to.searchParams.get('redirect_uri')).toBe(`${s.apiUrl}/auth/x/callback`);
    const state = to.searchParams.get('state')!;

    // Another browser presenting that state (login CSRF) is refused, and the state is spent.
    const other = browser();
    const stolen = await other.fetch(`/auth/x/callback?state=${state}&code=whatever`);
    expect(stolen.status).toBe(400);
    expect(await stolen.text()).toContain('This sign-in has expired');
    const late = await a.fetch(`/auth/x/callback?state=${state}&code=whatever`);
    expect(late.status).toBe(400);
  });

  it('order status is private to the signed-in buyer who placed it', async () => {
    const { postId } = await signupLink('hyg4');
    const { rows } = await s.db.query('SELECT id FROM orders WHERE tweet_id = $1', [postId]);
    const anon = await fetch(`${s.apiUrl}/account/orders/${rows[0].id}/status`, { headers: { Accept: 'application/json' } });
    expect(anon.status).toBe(404);
    expect(await anon.json()).toEqual({ error: 'not_found' });
  });

  it('account pages without a session offer sign-in; account forms need a session and a token', async () => {
    const b = browser();
    const page = await b.fetch('/account');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Sign in with X');
    const unlink = await b.post('/account/unlink', {});
    expect(unlink.status).toBe(403);
    const welcome = await b.fetch('/welcome?order=ord_nothing');
    expect(welcome.status).toBe(303);
    expect(welcome.headers.get('location')).toBe('/account');
  });

  it('rate-limits the public link route per IP with a page saying when to retry', async () => {
    let last: Response | undefined;
    for (let i = 0; i < 130 && last?.status !== 429; i++) last = await fetch(`${s.apiUrl}/link/tok_nothing.AAAAAAAAAAAAAAAAAAAAAA`);
    expect(last!.status).toBe(429);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await last!.text()).toContain('Too many requests');
  });
});
