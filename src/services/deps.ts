import type { Knex } from 'knex';
import type { Clock } from '../domain/dates';

/**
 * A fact is a piece of source data that cached computations depend on. Services name the facts a
 * write changed, after its transaction commits; the cache (wired by the server) invalidates what
 * depends on them. Facts are scoped by portfolio, and by date where a document is per date.
 */
export type Fact =
  | { readonly kind: 'positions'; readonly portfolioId: string }
  | { readonly kind: 'marks'; readonly portfolioId: string }
  | { readonly kind: 'proposals'; readonly portfolioId: string }
  | { readonly kind: 'journal'; readonly portfolioId: string }
  | { readonly kind: 'briefing'; readonly portfolioId: string; readonly date: string };

/** Told about committed changes; the cache plugin implements it, the default does nothing. */
export interface ChangeListener {
  factsChanged(facts: readonly Fact[]): Promise<void>;
}

export const noChangeListener: ChangeListener = { factsChanged: () => Promise.resolve() };

export interface ServiceDeps {
  readonly db: Knex;
  readonly clock: Clock;
  readonly changes: ChangeListener;
}
