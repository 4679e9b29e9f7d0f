import { systemNow, type Now } from './clock';

/**
 * What this process knows of each fact's committed generation: its floor. A read never uses a
 * generation below the floor, whatever the store says, so an invalidation that this process has
 * learnt of cannot be lost by the store (killed, restored from an old snapshot, unreachable).
 *
 * Where floors come from is the application's business: the generations are issued by its source
 * of truth, in the write's own transaction, and announced to every process (the PMS gateway:
 * Postgres, a sequence and LISTEN/NOTIFY). The writer raises its own floors before it
 * acknowledges; every other process raises them when the announcement reaches it, and reloads
 * them all when it reconnects. While a process cannot hear announcements it is `synced: false`,
 * and the cache serves nothing from the store (it cannot know what it missed).
 *
 * For one process on its own (tests, the embedded default), `GenerationFloors.local` issues
 * generations itself, from the clock, so numbers never repeat across restarts.
 */
export interface GenerationFloorsOptions {
  /** The generation of every fact not raised yet. */
  readonly baseline?: number;
  /** Whether floors are complete from the start (default true). */
  readonly synced?: boolean;
  /** Epoch ms; `issue` takes generations from it (µs resolution). */
  readonly now?: Now;
}

export class GenerationFloors {
  private readonly floors = new Map<string, number>();
  private baseline: number;
  private synced: boolean;
  private readonly now: Now;

  constructor(options: GenerationFloorsOptions = {}) {
    this.now = options.now ?? systemNow;
    this.baseline = options.baseline ?? 0;
    this.synced = options.synced ?? true;
  }

  /** Floors for one process that issues its own generations: the baseline is now (µs), so nothing stored by an earlier run is reachable. */
  static local(now: Now = systemNow): GenerationFloors {
    return new GenerationFloors({ baseline: now() * 1000, synced: true, now });
  }

  /** Whether every committed generation is known here (false while announcements cannot reach this process). */
  get isSynced(): boolean {
    return this.synced;
  }

  /** The number of facts with a floor above the baseline. */
  get size(): number {
    return this.floors.size;
  }

  floorOf(fact: string): number {
    return this.floors.get(fact) ?? this.baseline;
  }

  floorsOf(facts: readonly string[]): number[] {
    return facts.map((fact) => this.floorOf(fact));
  }

  /** Raises each fact's floor to its generation; a floor never goes down. */
  raise(generations: Readonly<Record<string, number>>): void {
    for (const [fact, generation] of Object.entries(generations)) {
      if (!Number.isSafeInteger(generation)) continue;
      if (generation > this.floorOf(fact)) this.floors.set(fact, generation);
    }
  }

  /**
   * After a (re)load of every committed generation: raises the baseline and the floors to it and
   * marks the floors complete. Never lowers anything: a notification handled during the load may
   * already be above what the load read.
   */
  reconcile(baseline: number, generations: ReadonlyMap<string, number>): void {
    if (baseline > this.baseline) this.baseline = baseline;
    for (const [fact, generation] of generations) this.raise({ [fact]: generation });
    this.synced = true;
  }

  /** Announcements may be missed from now on (the listening connection is down). */
  desync(): void {
    this.synced = false;
  }

  /**
   * New generations for `facts`, issued by this process: above each floor and above the clock in
   * µs (so a restarted process never reissues a number), and raised here at once. For a single
   * process only: several processes need a shared source of generations.
   */
  issue(facts: readonly string[]): Record<string, number> {
    const clock = Math.floor(this.now() * 1000);
    const generations: Record<string, number> = {};
    for (const fact of facts) generations[fact] = Math.max(this.floorOf(fact) + 1, clock);
    this.raise(generations);
    return generations;
  }
}
