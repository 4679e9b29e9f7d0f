import { SingleFlight } from './single-flight';

describe('SingleFlight', () => {
  it('shares one computation between concurrent callers of a key', async () => {
    const flights = new SingleFlight<number>();
    let calls = 0;
    const compute = () => new Promise<number>((resolve) => setImmediate(() => resolve(++calls)));
    const a = flights.run('k', compute);
    const b = flights.run('k', compute);
    expect([a.leader, b.leader]).toEqual([true, false]);
    expect(await Promise.all([a.result, b.result])).toEqual([1, 1]);
    expect(flights.size).toBe(0);
  });

  it('lets a late caller join a settled success while it lingers, but forgets a failure at once', async () => {
    let now = 0;
    const flights = new SingleFlight<string>(1_000, () => now);
    const leader = flights.run('ok', () => Promise.resolve('v'));
    expect(flights.run('ok', () => Promise.resolve('other')).leader).toBe(false); // joined: contention
    await leader.result;
    await Promise.resolve();
    expect(flights.run('ok', () => Promise.resolve('other')).leader).toBe(false);
    now += 1_001;
    expect(flights.run('ok', () => Promise.resolve('again')).leader).toBe(true);
    const bad = flights.run('bad', () => Promise.reject(new Error('x')));
    flights.run('bad', () => Promise.resolve('joined'));
    await expect(bad.result).rejects.toThrow('x');
    await Promise.resolve();
    expect(flights.run('bad', () => Promise.resolve('retry')).leader).toBe(true);
  });

  it('lets a late caller join a settled success nobody had joined, while it lingers: a stampede computes once', async () => {
    let now = 0;
    const flights = new SingleFlight<string>(1_000, () => now);
    await flights.run('alone', () => Promise.resolve('v')).result;
    await Promise.resolve();
    const late = flights.run('alone', () => Promise.resolve('again'));
    expect(late.leader).toBe(false);
    expect(await late.result).toBe('v');
    now += 1_001;
    expect(flights.run('alone', () => Promise.resolve('later')).leader).toBe(true);
  });

  it('holds at most maxLingering settled results, the most recent: a stream of distinct misses keeps little', async () => {
    const flights = new SingleFlight<string>(1_000, () => 0, 2);
    for (const key of ['a', 'b', 'c']) await flights.run(key, () => Promise.resolve(key)).result;
    await Promise.resolve();
    expect(flights.size).toBe(2);
    expect(flights.run('a', () => Promise.resolve('again')).leader).toBe(true);
    expect(flights.run('c', () => Promise.resolve('again')).leader).toBe(false);
  });
});
