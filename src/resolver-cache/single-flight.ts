/**
 * Concurrent callers of one key share one computation (per process).
 *
 * A successful result lingers for `lingerMs` after it settles, so that a caller who looked the
 * key up in the store just before the leader stored it (and so missed) still joins instead of
 * computing again: in a stampede, callers keep arriving after the first result, including the
 * first of them, which nobody had joined yet when it settled. That is safe because the key embeds
 * the generations in force when the caller looked up: joining gives exactly what a store hit at
 * those generations would have given. A failure is forgotten at once: the next caller computes
 * again.
 */
export class SingleFlight<T> {
  private readonly flights = new Map<string, { readonly result: Promise<T>; settledAt: number | null }>();

  /** `now` is the clock lingering is measured on (epoch ms); the cache passes its own. */
  constructor(
    private readonly lingerMs = 0,
    private readonly now: () => number = Date.now,
  ) {}

  /** `leader` is true when this call started the computation, false when it joined one. */
  run(key: string, compute: () => Promise<T>): { leader: boolean; result: Promise<T> } {
    const existing = this.flights.get(key);
    if (existing && (existing.settledAt === null || this.now() - existing.settledAt < this.lingerMs)) {
      return { leader: false, result: existing.result };
    }
    const flight = { result: compute(), settledAt: null as number | null };
    this.flights.set(key, flight);
    const forget = () => {
      if (this.flights.get(key) === flight) this.flights.delete(key);
    };
    flight.result.then(
      () => {
        flight.settledAt = this.now();
        // The timer only frees memory; whether a caller may join is decided on `now` above.
        if (this.lingerMs <= 0) forget();
        else setTimeout(forget, this.lingerMs).unref();
      },
      forget,
    );
    return { leader: true, result: flight.result };
  }

  get size(): number {
    return this.flights.size;
  }
}
