import { DEV_JOURNAL_KEY, JournalKeyring } from '../../src/domain/journal-hash-keys';
import { ConfigError, loadConfig } from '../../src/server/config';

const JWT = 'journal-config-test-jwt-secret-0123456789';
const KEY = 'journal-config-test-key-0123456789abcdef';
const OLD = 'journal-config-test-old-key-0123456789ab';

describe('JOURNAL_KEY', () => {
  it('is required in production, and never the development key there, with the variable named', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: JWT })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: JWT })).toThrow(/^Invalid configuration: JOURNAL_KEY: JOURNAL_KEY is required in production/);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: JWT, JOURNAL_KEY: DEV_JOURNAL_KEY })).toThrow(/JOURNAL_KEY: JOURNAL_KEY is required in production \(not the development key\)/);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: JWT, JOURNAL_KEY: KEY }).journal).toEqual({ key: KEY, retiredKeys: [], usingDevKey: false });
  });

  it('has at least 32 characters, as has each retired key', () => {
    expect(() => loadConfig({ JOURNAL_KEY: 'x'.repeat(31) })).toThrow(/JOURNAL_KEY: JOURNAL_KEY must be at least 32 characters/);
    expect(() => loadConfig({ JOURNAL_KEY: KEY, JOURNAL_RETIRED_KEYS: `${OLD},short` })).toThrow(/JOURNAL_RETIRED_KEYS/);
  });

  it('defaults to the development key outside production, which also verifies under a configured key there', () => {
    expect(loadConfig({ NODE_ENV: 'development' }).journal).toEqual({ key: DEV_JOURNAL_KEY, retiredKeys: [DEV_JOURNAL_KEY], usingDevKey: true });
    const rotated = loadConfig({ NODE_ENV: 'test', JOURNAL_KEY: KEY, JOURNAL_RETIRED_KEYS: OLD }).journal;
    const keyring = new JournalKeyring(rotated.key, rotated.retiredKeys);
    expect(keyring.retired).toHaveLength(2);
    expect(keyring.usingDevKey).toBe(false);
    const production = loadConfig({ NODE_ENV: 'production', JWT_SECRET: JWT, JOURNAL_KEY: KEY, JOURNAL_RETIRED_KEYS: OLD }).journal;
    expect(production.retiredKeys).toEqual([OLD]);
  });
});
