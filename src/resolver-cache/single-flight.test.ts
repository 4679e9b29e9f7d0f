import v8 from 'node:v8';
import vm from 'node:vm';
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

  describe('released results', () => {
    const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
    /** Leads key 'k' to the result 'v', then releases it. */
    const leadAndRelease = async (flights: SingleFlight<string>): Promise<void> => {
      const leader = flights.run('k', () => Promise.resolve('v'));
      await leader.result;
      leader.release();
    };

    it('stay joinable while a read opened before the release is open, and go once it closes', async () => {
      const flights = new SingleFlight<string>(1_000, () => 0);
      const before = flights.openRead();
      await leadAndRelease(flights);
      const late = flights.run('k', () => Promise.resolve('again'));
      expect(late.leader).toBe(false);
      expect(await late.result).toBe('v');
      flights.closeRead(before);
      expect(flights.size).toBe(0);
      expect(flights.run('k', () => Promise.resolve('again')).leader).toBe(true);
    });

    it('go at once when no read opened before the release is still open: later reads find the write', async () => {
      const flights = new SingleFlight<string>(1_000, () => 0);
      const leader = flights.run('k', () => Promise.resolve('v'));
      await leader.result;
      // A read opened before the release but closed before it holds nothing.
      flights.closeRead(flights.openRead());
      leader.release();
      const after = flights.openRead();
      expect(flights.size).toBe(0);
      expect(flights.run('k', () => Promise.resolve('again')).leader).toBe(true);
      flights.closeRead(after);
      expect(flights.openReads).toBe(0);
    });

    it('wait for the oldest open read only as long as the linger: a read never closed holds nothing after it', async () => {
      let now = 0;
      const flights = new SingleFlight<string>(1_000, () => now);
      flights.openRead(); // never closed
      await leadAndRelease(flights);
      expect(flights.size).toBe(1);
      now += 1_000;
      flights.closeRead(flights.openRead());
      expect(flights.size).toBe(0);
      expect(flights.openReads).toBe(0);
    });

    it('released before they settle go when they settle, and never while in progress', async () => {
      const flights = new SingleFlight<string>(1_000, () => 0);
      let finish: (value: string) => void = () => undefined;
      const leader = flights.run('k', () => new Promise<string>((resolve) => (finish = resolve)));
      leader.release();
      const joiner = flights.run('k', () => Promise.resolve('other'));
      expect(joiner.leader).toBe(false);
      finish('v');
      expect(await joiner.result).toBe('v');
      await settle();
      expect(flights.size).toBe(0);
    });

    it('count once: a second release, or one from a joiner, changes nothing', async () => {
      const flights = new SingleFlight<string>(1_000, () => 0);
      const first = flights.openRead();
      await leadAndRelease(flights);
      const second = flights.openRead();
      const joiner = flights.run('k', () => Promise.resolve('other'));
      joiner.release();
      flights.closeRead(first);
      // Released before `second` was opened: `second` does not hold it.
      expect(flights.size).toBe(0);
      flights.closeRead(second);
    });
  });

  it('lets go of a forgotten result, even while something still holds the flight', async () => {
    // What a Map's previous table does in the old generation: it still points at the flight.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    let now = 0;
    const flights = new SingleFlight<{ readonly rows: number[] }>(1_000, () => now);
    const held = await (async () => {
      const value = { rows: new Array<number>(10_000).fill(1) };
      const run = flights.run('k', () => Promise.resolve(value));
      await run.result;
      // `release` closes over the flight, as the old table would.
      return { release: run.release, value: new WeakRef(value) };
    })();
    now += 1_000; // past the bound: the next caller forgets it and leads
    expect(flights.run('k', () => Promise.resolve({ rows: [] })).leader).toBe(true);
    await new Promise<void>((resolve) => setImmediate(resolve));
    gc();
    expect(held.value.deref()).toBeUndefined();
    expect(held.release).toBeInstanceOf(Function);
  });
});

