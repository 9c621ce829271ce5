import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from '../../support/process';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'buyer-onboarding');

export interface Browser {
  /** A fresh browser profile: its own cookies, like a second phone. */
  newContext(): Promise<BrowserContext>;
  shot(page: Page, name: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Debian's Chromium, headless, with a throw-away profile (persistent contexts are the only way
 * playwright-core takes a user-data-dir; one per buyer keeps sessions apart).
 */
export async function launchBrowser(): Promise<Browser> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const dirs: string[] = [];
  const contexts: BrowserContext[] = [];
  return {
    async newContext() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hc-chromium-'));
      dirs.push(dir);
      const ctx = await chromium.launchPersistentContext(dir, {
        executablePath: CHROMIUM,
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
          '--disable-component-update', '--disable-sync'],
        viewport: { width: 390, height: 844 }, // a phone
        timeout: 60_000,
      });
      ctx.setDefaultTimeout(15_000);
      contexts.push(ctx);
      return ctx;
    },
    async shot(page, name) {
      await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
    },
    async close() {
      await Promise.all(contexts.map((c) => c.close().catch(() => undefined)));
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    },
  };
}
