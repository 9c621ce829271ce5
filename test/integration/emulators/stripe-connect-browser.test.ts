import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { startStripeEmulator, type StripeEmulator } from '../../../emulators/stripe';
import { launchBrowser, type Browser } from '../../e2e/browser/browser';

jest.setTimeout(120_000);

/** The platform's return / refresh pages, so the browser has somewhere real to land. */
async function startPlatformPages() {
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(`<h1>${req.url === '/return' ? 'Back on the platform' : 'Link expired, start again'}</h1>`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('Stripe emulator: Express onboarding in headless Chromium', () => {
  let emu: StripeEmulator;
  let stripe: Stripe;
  let browser: Browser;
  let platform: Awaited<ReturnType<typeof startPlatformPages>>;

  beforeAll(async () => {
    emu = await startStripeEmulator();
    stripe = new Stripe('sk_test_connect', { host: '127.0.0.1', port: emu.port, protocol: 'http', maxNetworkRetries: 0 });
    platform = await startPlatformPages();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await platform?.close();
    await emu?.close();
  });

  const linkFor = async (account: string) =>
    (await stripe.accountLinks.create({ account, refresh_url: `${platform.base}/refresh`, return_url: `${platform.base}/return`, type: 'account_onboarding' })).url;

  test('a merchant leaves for later, comes back through a new link and finishes; the old link sends them to refresh_url', async () => {
    const account = await stripe.accounts.create({ type: 'express', email: 'shop@example.com', capabilities: { transfers: { requested: true }, card_payments: { requested: true } } });
    const page = await (await browser.newContext()).newPage();

    const firstLink = await linkFor(account.id);
    await page.goto(firstLink);
    await page.getByRole('button', { name: 'Leave for later' }).click();
    await page.waitForURL(`${platform.base}/return`);
    expect((await stripe.accounts.retrieve(account.id)).charges_enabled).toBe(false);

    await page.goto(firstLink);
    await page.waitForURL(`${platform.base}/refresh`);
    await expect(page.getByRole('heading').textContent()).resolves.toBe('Link expired, start again');

    await page.goto(await linkFor(account.id));
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Set up payouts');
    await page.getByRole('button', { name: 'Finish onboarding' }).click();
    await page.waitForURL(`${platform.base}/return`);
    expect(await stripe.accounts.retrieve(account.id)).toMatchObject({ charges_enabled: true, payouts_enabled: true, details_submitted: true, requirements: { currently_due: [] } });
  });
});
