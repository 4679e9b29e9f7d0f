import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { SubjectRateLimiter, type RateVerdict } from './rate-limit';

/** A limiter that counts the points asked of it, answering like rate-limiter-flexible does. */
function countingLimiter(points: number, windowMs: number) {
  const asked: number[] = [];
  const consumed = new Map<string | number, number>();
  let failing = false;
  return {
    asked,
    fail: () => void (failing = true),
    consume(key: string | number, n = 1): Promise<RateLimiterRes> {
      asked.push(n);
      if (failing) return Promise.reject(new Error('store down'));
      const total = (consumed.get(key) ?? 0) + n;
      consumed.set(key, total);
      const res = new RateLimiterRes(Math.max(points - total, 0), windowMs, total, total === n);
      // rate-limiter-flexible rejects with its result, not an Error, when the points are spent.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      return total > points ? Promise.reject(res) : Promise.resolve(res);
    },
  };
}

async function take(limiter: SubjectRateLimiter, subject: string): Promise<RateVerdict> {
  return limiter.take(subject);
}

describe('SubjectRateLimiter', () => {
  it('asks the store once per block of 1% of the limit, and answers the rest in process', async () => {
    const store = countingLimiter(1_000, 10_000);
    const limiter = new SubjectRateLimiter(store, { points: 1_000, durationSeconds: 10 });
    const first = limiter.take('u1');
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toEqual({ allowed: true });
    for (let i = 0; i < 9; i += 1) expect(limiter.take('u1')).toEqual({ allowed: true });
    expect(store.asked).toEqual([10]);
    expect(await take(limiter, 'u1')).toEqual({ allowed: true });
    expect(store.asked).toEqual([10, 10]);
  });

  it('refuses until the window ends once the store refuses a block, saying when to retry', async () => {
    const store = countingLimiter(3, 60_000);
    const limiter = new SubjectRateLimiter(store, { points: 3, durationSeconds: 60 });
    for (let i = 0; i < 3; i += 1) expect(await take(limiter, 'u2')).toEqual({ allowed: true });
    expect(await take(limiter, 'u2')).toEqual({ allowed: false, retryAfterSeconds: 60 });
    // Refused in process: the store is not asked again within the window.
    expect(limiter.take('u2')).toEqual({ allowed: false, retryAfterSeconds: 60 });
    expect(store.asked).toEqual([1, 1, 1, 1]);
    // Another subject has its own allowance.
    expect(await take(limiter, 'other')).toEqual({ allowed: true });
  });

  it('lets requests through when the store and its insurance both fail', async () => {
    const store = countingLimiter(3, 60_000);
    store.fail();
    const limiter = new SubjectRateLimiter(store, { points: 3, durationSeconds: 60 });
    for (let i = 0; i < 5; i += 1) expect(await take(limiter, 'u3')).toEqual({ allowed: true });
  });

  it('shares one block among concurrent requests of a subject', async () => {
    const memory = new RateLimiterMemory({ points: 500, duration: 10 });
    const consume = jest.spyOn(memory, 'consume');
    const limiter = new SubjectRateLimiter(memory, { points: 500, durationSeconds: 10 });
    const verdicts = await Promise.all(Array.from({ length: 5 }, () => take(limiter, 'u4')));
    expect(verdicts.every((v) => v.allowed)).toBe(true);
    expect(consume).toHaveBeenCalledTimes(1);
    expect(consume).toHaveBeenCalledWith('u4', 5);
  });
});
