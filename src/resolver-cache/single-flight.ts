import { systemNow, type Now } from './clock';

/**
 * Concurrent callers of one key share one computation (per process).
 *
 * A successful result lingers for `lingerMs` after it settles, so that a caller who looked the
 * key up in the store just before the leader stored it (and so missed) still joins instead of
 * computing again: in a stampede, callers keep arriving after the first result, including the
 * first of them, which nobody had joined yet when it settled. That is safe because the key embeds
 * the generations in force when the caller looked up: joining gives exactly what a store hit at
 * those generations would have given. At most `maxLingering` settled results are held, the most
 * recent ones: a stampede is on few keys, while a stream of distinct misses would otherwise hold
 * a second's worth of values (memory and garbage collection on every miss). No timer: a settled
 * result past its linger is dropped when its key is asked for again or when newer ones push it
 * out. A failure is forgotten at once: the next caller computes again.
 */
interface Flight<T> {
  readonly result: Promise<T>;
  settledAt: number | null;
}

export class SingleFlight<T> {
  private readonly flights = new Map<string, Flight<T>>();
  /** Settled flights still joinable, oldest first (a subset of `flights`). */
  private readonly lingering = new Map<string, Flight<T>>();

  /** `now` is the clock lingering is measured on (epoch ms); the cache passes its own. */
  constructor(
    private readonly lingerMs = 0,
    private readonly now: Now = systemNow,
    private readonly maxLingering = 64,
  ) {}

  /** `leader` is true when this call started the computation, false when it joined one. */
  run(key: string, compute: () => Promise<T>): { leader: boolean; result: Promise<T> } {
    const existing = this.flights.get(key);
    if (existing) {
      if (existing.settledAt === null || this.now() - existing.settledAt < this.lingerMs) return { leader: false, result: existing.result };
      this.forget(key, existing);
    }
    const flight: Flight<T> = { result: compute(), settledAt: null };
    this.flights.set(key, flight);
    flight.result.then(
      () => {
        flight.settledAt = this.now();
        if (this.lingerMs <= 0) {
          this.forget(key, flight);
          return;
        }
        this.lingering.set(key, flight);
        for (const [oldKey, old] of this.lingering) {
          if (this.lingering.size <= this.maxLingering) break;
          this.forget(oldKey, old);
        }
      },
      () => this.forget(key, flight),
    );
    return { leader: true, result: flight.result };
  }

  /** Flights in progress or lingering. */
  get size(): number {
    return this.flights.size;
  }

  private forget(key: string, flight: Flight<T>): void {
    if (this.flights.get(key) === flight) this.flights.delete(key);
    if (this.lingering.get(key) === flight) this.lingering.delete(key);
  }
}
