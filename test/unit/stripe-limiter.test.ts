import { stripeLimiter } from '../../src/payments/rate-budget';

/** The most charges that can start within any one second, wherever its edges fall. */
const worstSecond = ({ max, duration }: { max: number; duration: number }) => max * (Math.floor(1000 / duration) + 1);

describe('Stripe pacing of the charges queue', () => {
  it.each([10, 25, 90, 100, 250])('never starts more than the budget of %i ops/s in any second (± one window)', (budget) => {
    const l = stripeLimiter(budget);
    expect(l.duration).toBe(100);
    expect(worstSecond(l)).toBeLessThanOrEqual(Math.ceil(budget * 1.1));
    // ... and does not waste more than a tenth of it.
    expect((l.max * 1000) / l.duration).toBeGreaterThanOrEqual(budget * 0.8);
  });

  it('keeps whole-second windows for tiny budgets', () => {
    expect(stripeLimiter(3)).toEqual({ max: 3, duration: 1000 });
  });
});
