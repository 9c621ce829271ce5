import { loadConfig } from '../../src/config';
import { effectiveRule, parseFixedFees, platformFee } from '../../src/merchants/platform-fee';

const rule = { bps: 290, fixed: { usd: 30, eur: 25, jpy: 0 } };

describe('the platform fee', () => {
  it('is the percentage rounded to the nearest minor unit (halves up) plus the fixed part', () => {
    expect(platformFee(4200, 'usd', rule)).toBe(152); // 121.8 → 122, + 30
    expect(platformFee(1999, 'eur', rule)).toBe(83); // 57.971 → 58, + 25
    expect(platformFee(1500, 'jpy', rule)).toBe(44); // 43.5 → 44: yen are whole, nothing special
    expect(platformFee(1000, 'usd', { bps: 250, fixed: {} })).toBe(25); // exact
    expect(platformFee(1020, 'usd', { bps: 250, fixed: {} })).toBe(26); // 25.5 → 26
    expect(platformFee(1019, 'usd', { bps: 250, fixed: {} })).toBe(25); // 25.475 → 25
    expect(platformFee(500, 'gbp', rule)).toBe(15); // no fixed part for a currency not listed
    expect(platformFee(0, 'usd', rule)).toBe(0);
  });

  it('never exceeds the amount', () => {
    expect(platformFee(20, 'usd', rule)).toBe(20); // 1 + 30 would be more than the sale
    expect(platformFee(31, 'usd', rule)).toBe(31);
    expect(platformFee(100, 'usd', { bps: 10_000, fixed: { usd: 30 } })).toBe(100);
  });

  it('stays exact where floating point would not', () => {
    // amount × bps passes 2^53 here; the fee is still to the unit.
    expect(platformFee(999_999_999_999_999, 'usd', { bps: 9_999, fixed: {} })).toBe(999_899_999_999_999);
    expect(() => platformFee(1.5, 'usd', rule)).toThrow(RangeError);
    expect(() => platformFee(-1, 'usd', rule)).toThrow(RangeError);
  });

  it("takes a merchant's override part by part", () => {
    expect(effectiveRule(rule, null)).toEqual({ ...rule, source: 'platform' });
    expect(effectiveRule(rule, { bps: null, fixed: null })).toEqual({ ...rule, source: 'platform' });
    expect(effectiveRule(rule, { bps: 500, fixed: null })).toEqual({ bps: 500, fixed: rule.fixed, source: 'merchant' });
    expect(effectiveRule(rule, { bps: null, fixed: { usd: 0 } })).toEqual({ bps: 290, fixed: { usd: 0 }, source: 'merchant' });
  });
});

describe('PLATFORM_FEE_FIXED and PLATFORM_FEE_BPS', () => {
  it('reads currency:amount pairs, case and spaces forgiven', () => {
    expect(parseFixedFees('usd:30,eur:25,jpy:0')).toEqual({ ok: true, fixed: { usd: 30, eur: 25, jpy: 0 } });
    expect(parseFixedFees(' USD : 30 , eur:25, ')).toEqual({ ok: true, fixed: { usd: 30, eur: 25 } });
    expect(parseFixedFees('')).toEqual({ ok: true, fixed: {} });
  });

  it('says what is wrong with each bad entry', () => {
    expect(parseFixedFees('usd=30,xyz:1,eur:25,eur:26,gbp:-1,jpy:1.5,usd:99999999')).toEqual({
      ok: false,
      problems: [
        '"usd=30" is not currency:amount (e.g. usd:30, amounts in minor units)',
        '"xyz" is not an ISO 4217 currency',
        '"eur" is given twice',
        '"gbp:-1" is not currency:amount (e.g. usd:30, amounts in minor units)',
        '"jpy:1.5" is not currency:amount (e.g. usd:30, amounts in minor units)',
        '"usd:99999999": at most 1000000 minor units',
      ],
    });
  });

  it('are validated at start-up, with the platform defaulting to no fee', () => {
    expect(loadConfig({ NODE_ENV: 'test' })).toMatchObject({ PLATFORM_FEE_BPS: 0, PLATFORM_FEE_FIXED: {} });
    expect(loadConfig({ NODE_ENV: 'test', PLATFORM_FEE_BPS: '290', PLATFORM_FEE_FIXED: 'usd:30,jpy:0' })).toMatchObject({ PLATFORM_FEE_BPS: 290, PLATFORM_FEE_FIXED: { usd: 30, jpy: 0 } });
    expect(() => loadConfig({ NODE_ENV: 'test', PLATFORM_FEE_FIXED: 'usd30' })).toThrow(/PLATFORM_FEE_FIXED: "usd30" is not currency:amount/);
    for (const bad of ['-1', '10001', '2.9', 'lots']) expect(() => loadConfig({ NODE_ENV: 'test', PLATFORM_FEE_BPS: bad })).toThrow(/PLATFORM_FEE_BPS:/);
  });
});
