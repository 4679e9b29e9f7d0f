/**
 * Concurrent callers of one key share one computation (per process). The entry is removed when
 * the computation settles, so a failure is not remembered: the next caller computes again.
 */
export class SingleFlight<T> {
  private readonly inFlight = new Map<string, Promise<T>>();

  /** True when this call started the computation (a leader), false when it joined one. */
  run(key: string, compute: () => Promise<T>): { leader: boolean; result: Promise<T> } {
    const existing = this.inFlight.get(key);
    if (existing) return { leader: false, result: existing };
    const result = compute().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, result);
    return { leader: true, result };
  }

  get size(): number {
    return this.inFlight.size;
  }
}
