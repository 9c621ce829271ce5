import { Writable } from 'node:stream';
import { ConfigError, loadConfig, redactUrl, trustProxy } from '../../src/config';
import { createLogger } from '../../src/logger';

const base = { NODE_ENV: 'test' };

describe('config', () => {
  it('defaults to sandbox mode with local Redis and test keys', () => {
    const c = loadConfig(base);
    expect(c).toMatchObject({ sandbox: true, REDIS_URL: 'redis://127.0.0.1:6379', PORT: 3000, apiKeyMode: 'test', X_SHOP_USERNAME: 'shop', REQUIRE_MENTION: true });
    expect(c.ADMIN_TOKEN.length).toBeGreaterThanOrEqual(24);
  });

  it('lists every problem at once, readably', () => {
    let err: ConfigError | undefined;
    try {
      loadConfig({ NODE_ENV: 'production', PORT: 'eighty', REDIS_URL: 'http://nope', STRIPE_SECRET_KEY: 'pk_live_123', REQUIRE_MENTION: 'maybe' });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const text = err!.message;
    expect(text).toMatch(/^Configuration is invalid:/);
    for (const k of ['PORT', 'REDIS_URL', 'STRIPE_SECRET_KEY', 'REQUIRE_MENTION']) expect(text).toContain(`  - ${k}:`);
    expect(err!.problems.length).toBeGreaterThanOrEqual(4);
  });

  it('takes the sweep delay and the X timeout as whole numbers in range, with defaults', () => {
    expect(loadConfig(base)).toMatchObject({ SWEEP_STALE_AFTER_SECONDS: 120, X_TIMEOUT_MS: 10_000 });
    expect(loadConfig({ ...base, SWEEP_STALE_AFTER_SECONDS: '15', X_TIMEOUT_MS: '2500' })).toMatchObject({ SWEEP_STALE_AFTER_SECONDS: 15, X_TIMEOUT_MS: 2500 });
    for (const bad of ['0', '-5', '1.5', 'soon', '86401']) expect(() => loadConfig({ ...base, SWEEP_STALE_AFTER_SECONDS: bad })).toThrow(/SWEEP_STALE_AFTER_SECONDS:/);
    for (const bad of ['0', '50', 'never']) expect(() => loadConfig({ ...base, X_TIMEOUT_MS: bad })).toThrow(/X_TIMEOUT_MS:/);
  });

  it('requires secrets and real services in production, and refuses emulator overrides there', () => {
    expect(() =>
      loadConfig({
        NODE_ENV: 'production', STRIPE_SECRET_KEY: 'sk_live_abc', STRIPE_WEBHOOK_SECRET: 'whsec_x', X_BEARER_TOKEN: 'b',
        X_API_KEY: 'k', X_API_SECRET: 's', X_ACCESS_TOKEN: 't', X_ACCESS_SECRET: 'a', X_CLIENT_ID: 'c',
        STRIPE_API_BASE: 'http://127.0.0.1:12111',
      }),
    ).toThrow(/ADMIN_TOKEN: required in production[\s\S]*SIGNING_SECRET[\s\S]*DATABASE_URL[\s\S]*STRIPE_API_BASE: the emulator override is refused/);
  });

  it('trusts no proxy unless TRUST_PROXY names them (a hop count or addresses and ranges), and refuses anything else', () => {
    expect(trustProxy(loadConfig(base).TRUST_PROXY)).toBe(false);
    expect(trustProxy(loadConfig({ ...base, TRUST_PROXY: '1' }).TRUST_PROXY)).toBe(1);
    expect(trustProxy(loadConfig({ ...base, TRUST_PROXY: '10.0.0.0/8, 2001:db8::1, loopback' }).TRUST_PROXY)).toBe('10.0.0.0/8, 2001:db8::1, loopback');
    for (const bad of ['true', 'everyone', '10.0.0.0/33', '10.0.0.1/8/1', 'loopback/8']) {
      expect(() => loadConfig({ ...base, TRUST_PROXY: bad })).toThrow(/TRUST_PROXY: must be a hop count/);
    }
    expect(loadConfig(base)).toMatchObject({ AUTH_FAILURES_PER_IP: 10, AUTH_FAILURES_PER_CREDENTIAL: 50 });
  });

  it('wants the full set of X credentials once a Stripe key is set', () => {
    expect(() => loadConfig({ ...base, STRIPE_SECRET_KEY: 'sk_test_abc' })).toThrow(/X_BEARER_TOKEN[\s\S]*X_ACCESS_SECRET/);
  });

  it('makes live keys only with a live Stripe key', () => {
    const c = loadConfig({
      ...base, STRIPE_SECRET_KEY: 'sk_live_abc', STRIPE_WEBHOOK_SECRET: 'whsec_x', X_BEARER_TOKEN: 'b', X_API_KEY: 'k',
      X_API_SECRET: 's', X_ACCESS_TOKEN: 't', X_ACCESS_SECRET: 'a', X_CLIENT_ID: 'c',
    });
    expect(c.apiKeyMode).toBe('live');
    expect(c.sandbox).toBe(false);
  });

  it('never prints a password in a URL', () => {
    expect(redactUrl('redis://:hunter2@cache:6379/0')).toBe('redis://:***@cache:6379/0');
    expect(redactUrl('postgres://app:s3cret@db/app')).not.toContain('s3cret');
  });
});

describe('logger', () => {
  it('redacts secrets wherever they appear', () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
    const log = createLogger('info', sink);
    log.info({ req: { headers: { authorization: 'Bearer hck_test_SECRET1', cookie: 'sid=SECRET2' } } }, 'request');
    log.info({ buyer: { access_token: 'SECRET3', refresh_token: 'SECRET4' }, stripe: { secret: 'whsec_SECRET5' } }, 'tokens');
    log.info({ config: { ADMIN_TOKEN: 'SECRET6', STRIPE_SECRET_KEY: 'sk_test_SECRET7', PORT: 3000 } }, 'config');
    const out = lines.join('');
    for (let i = 1; i <= 7; i++) expect(out).not.toContain(`SECRET${i}`);
    expect(out).toContain('[redacted]');
    expect(out).toContain('"PORT":3000');
  });
});
