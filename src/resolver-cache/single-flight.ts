import { systemNow, type Now } from './clock';

/**
 * Concurrent callers of one key share one computation (per process).
 *
 * A successful result stays joinable after it settles, for the callers who read the store before
 * it was written there and so missed it: in a stampede they keep arriving after the first result,
 * and each would compute again. That is safe because the key embeds the generations in force when
 * the caller read: joining gives exactly what a store hit at those generations would have given.
 *
 * How long it stays is measured, not guessed. Every store read whose miss may lead to `run` is
 * opened (`openRead`) before it is sent and closed (`closeRead`) once its caller has acted on it
 * (joined, led, or been answered by a hit). The caller that writes the result to the store, or
 * learns that nobody will, calls the `release` that `run` gave: a store answers reads sent after
 * the write with the entry (a connection runs its commands in order; the in-process store writes
 * at once), so only reads opened before the release can still miss it. The result is dropped as
 * soon as all of those are closed, within about a round trip of the write. A result nobody
 * releases (one that later readers cannot find in the store) stays until the bounds below.
 *
 * Bounds that hold whatever callers do: a settled result is dropped `lingerMs` after it settled
 * (released or not), a read not closed within `lingerMs` stops holding anything, and at most
 * `maxLingering` settled results are kept, the most recent. No timer: results and reads past their
 * time are dropped when the flights are next used. A failure is forgotten at once: the next caller
 * computes again.
 */
interface Flight<T> {
  readonly key: string;
  /** Null once forgotten (see `forget`). */
  result: Promise<T> | null;
  settledAt: number | null;
  /** The read count when it was released: reads opened before it may have missed the write. */
  releasedAt: number | null;
}

export interface FlightRun<T> {
  /** True when this call started the computation, false when it joined one. */
  readonly leader: boolean;
  readonly result: Promise<T>;
  /**
   * Says the result is now in the store, or will never be (not stored, the store unavailable):
   * reads sent from here on no longer need the flight. Any caller may call it; the first call counts.
   */
  readonly release: () => void;
}

export class SingleFlight<T> {
  private readonly flights = new Map<string, Flight<T>>();
  /** Settled flights still joinable, oldest first (a subset of `flights`). */
  private readonly lingering = new Map<Flight<T>, true>();
  /** Released flights not yet dropped, in release order (hence in `releasedAt` order). */
  private readonly released = new Map<Flight<T>, true>();
  /** Reads opened and not closed: ticket → when opened, oldest first (tickets only grow). */
  private readonly reads = new Map<number, number>();
  private nextTicket = 1;

  /** `now` is the clock the bounds are measured on (epoch ms); the cache passes its own. */
  constructor(
    private readonly lingerMs = 0,
    private readonly now: Now = systemNow,
    private readonly maxLingering = 64,
  ) {}

  run(key: string, compute: () => Promise<T>): FlightRun<T> {
    const existing = this.flights.get(key);
    if (existing) {
      if (existing.settledAt === null || this.now() - existing.settledAt < this.lingerMs) {
        return { leader: false, result: existing.result!, release: () => this.release(existing) };
      }
      this.forget(existing);
    }
    const result = compute();
    const flight: Flight<T> = { key, result, settledAt: null, releasedAt: null };
    this.flights.set(key, flight);
    result.then(
      () => {
        flight.settledAt = this.now();
        if (this.lingerMs <= 0) return this.forget(flight);
        this.lingering.set(flight, true);
        for (const old of this.lingering.keys()) {
          if (this.lingering.size <= this.maxLingering) break;
          this.forget(old);
        }
        // Released before it settled: it may go at once.
        if (flight.releasedAt !== null) this.sweep();
      },
      () => this.forget(flight),
    );
    return { leader: true, result, release: () => this.release(flight) };
  }

  /** Opens a store read whose miss may lead to `run`: a ticket for `closeRead`. */
  openRead(): number {
    const ticket = this.nextTicket++;
    this.reads.set(ticket, this.now());
    return ticket;
  }

  /** Closes a read once its caller has joined, led or been answered; closing twice is harmless. */
  closeRead(ticket: number): void {
    if (this.reads.delete(ticket) && this.released.size > 0) this.sweep();
  }

  /** Flights in progress or joinable. */
  get size(): number {
    return this.flights.size;
  }

  /** Reads open (for tests). */
  get openReads(): number {
    return this.reads.size;
  }

  private release(flight: Flight<T>): void {
    if (flight.releasedAt !== null || this.flights.get(flight.key) !== flight) return;
    flight.releasedAt = this.nextTicket;
    this.released.set(flight, true);
    this.sweep();
  }

  /**
   * Drops the released flights that no open read predates (settled ones only: a flight in
   * progress is still joined by whoever asks).
   */
  private sweep(): void {
    const oldestRead = this.oldestOpenRead();
    for (const flight of this.released.keys()) {
      if (flight.releasedAt! > oldestRead) break;
      if (flight.settledAt === null) continue;
      this.forget(flight);
    }
  }

  /** The ticket of the oldest read still open (past reads `lingerMs` old are closed here), or Infinity. */
  private oldestOpenRead(): number {
    const now = this.now();
    for (const [ticket, openedAt] of this.reads) {
      if (this.lingerMs <= 0 || now - openedAt < this.lingerMs) return ticket;
      this.reads.delete(ticket);
    }
    return Infinity;
  }

  /**
   * Drops a flight, and its hold on the result. The young-generation collector keeps alive
   * whatever an old-generation object points to, whether that object is still reachable or not,
   * until the next full collection; a long-lived Map that grows and shrinks leaves such objects
   * behind (its previous tables). A forgotten flight that still held its result kept each miss's
   * whole computed value alive until it was promoted to the old generation: ~55 kB per book miss,
   * 10× the promotion of the uncached gateway, measured with --trace-gc-nvp.
   */
  private forget(flight: Flight<T>): void {
    if (this.flights.get(flight.key) === flight) this.flights.delete(flight.key);
    this.lingering.delete(flight);
    this.released.delete(flight);
    flight.result = null;
  }
}
