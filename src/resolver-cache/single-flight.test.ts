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
    await flights.run('ok', () => Promise.resolve('v')).result;
    await Promise.resolve();
    expect(flights.run('ok', () => Promise.resolve('other')).leader).toBe(false);
    now += 1_001;
    expect(flights.run('ok', () => Promise.resolve('again')).leader).toBe(true);
    await expect(flights.run('bad', () => Promise.reject(new Error('x'))).result).rejects.toThrow('x');
    await Promise.resolve();
    expect(flights.run('bad', () => Promise.resolve('retry')).leader).toBe(true);
  });
});
