import type { Knex } from 'knex';
import { createLoaders } from './loaders';

// Building loaders touches no database: a placeholder knex is enough to check their lifecycle.
const db = {} as Knex;

describe('createLoaders', () => {
  it('builds each loader on first use and keeps it for the request', () => {
    const loaders = createLoaders(db);
    const portfolio = loaders.portfolio;
    expect(loaders.portfolio).toBe(portfolio);
    expect(loaders.instrument).not.toBe(portfolio);
    expect(loaders.instrument).toBe(loaders.instrument);
  });

  it('gives every request its own loaders', () => {
    const a = createLoaders(db);
    const b = createLoaders(db);
    for (const name of ['portfolio', 'instrument', 'position', 'proposal', 'journalEntry'] as const) {
      expect(a[name]).not.toBe(b[name]);
    }
  });
});
