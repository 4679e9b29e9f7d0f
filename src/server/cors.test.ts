import { ConfigError, loadConfig } from './config';
import { allowsOrigin, type CorsPolicy } from './cors';

const policyOf = (env: Record<string, string>): CorsPolicy => loadConfig({ NODE_ENV: 'development', ...env }).cors;

function startupError(env: Record<string, string>): string {
  try {
    loadConfig({ NODE_ENV: 'development', ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused at start`);
}

describe('CORS_ORIGINS', () => {
  it('defaults to loopback pages on any port in development and tests, and to no origin in production', () => {
    const local = policyOf({});
    expect(policyOf({ NODE_ENV: 'test' })).toEqual(local);
    for (const origin of ['http://localhost:5173', 'http://127.0.0.1:3000', 'http://[::1]:8080', 'http://localhost']) {
      expect([origin, allowsOrigin(local, origin)]).toEqual([origin, true]);
    }
    // Look-alikes of loopback, https, and the opaque "null" origin of sandboxed frames and files.
    for (const origin of ['http://localhost.evil.example:5173', 'http://127.0.0.1.nip.io:3000', 'https://localhost:5173', 'http://10.0.0.1:3000', 'null']) {
      expect([origin, allowsOrigin(local, origin)]).toEqual([origin, false]);
    }
    const production = loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-of-at-least-32-chars', JOURNAL_KEY: 'a-production-journal-key-of-32-chars-x' }).cors;
    expect(production).toEqual({ kind: 'origins', origins: [] });
    expect(allowsOrigin(production, 'http://localhost:5173')).toBe(false);
  });

  it('takes exact origins, trimmed and deduplicated, replacing the default', () => {
    const policy = policyOf({ CORS_ORIGINS: ' https://app.example.com, http://localhost:5173 ,https://app.example.com' });
    expect(policy).toEqual({ kind: 'origins', origins: ['https://app.example.com', 'http://localhost:5173'] });
    expect(allowsOrigin(policy, 'https://app.example.com')).toBe(true);
    expect(allowsOrigin(policy, 'http://localhost:5173')).toBe(true);
    expect(allowsOrigin(policy, 'http://localhost:5174')).toBe(false);
    expect(allowsOrigin(policy, 'https://app.example.com:8443')).toBe(false);
    expect(allowsOrigin(policy, 'http://app.example.com')).toBe(false);
  });

  it('takes "*" alone as every origin, and an empty value as unset', () => {
    expect(policyOf({ CORS_ORIGINS: '*' })).toEqual({ kind: 'any' });
    expect(allowsOrigin({ kind: 'any' }, 'https://anywhere.example')).toBe(true);
    expect(policyOf({ CORS_ORIGINS: '' })).toEqual(policyOf({}));
  });

  it.each([
    ['https://app.example.com/', 'entry "https://app.example.com/" is not an origin as a browser sends it; did you mean "https://app.example.com"?'],
    ['https://app.example.com/graphql', 'did you mean "https://app.example.com"?'],
    ['https://App.Example.com', 'did you mean "https://app.example.com"?'],
    ['https://app.example.com:443', 'did you mean "https://app.example.com"?'],
    ['app.example.com', 'entry "app.example.com" is not an origin (scheme://host[:port]'],
    ['null', 'entry "null" is not an origin'],
    ['ftp://files.example.com', 'entry "ftp://files.example.com" is not an http or https origin'],
    ['https://*.example.com', 'entry "https://*.example.com" has a wildcard: list each origin exactly'],
    ['*,https://app.example.com', '"*" allows every origin and stands alone, not in a list'],
    ['https://a.example.com,,https://b.example.com', 'an empty entry'],
  ])('refuses to start with CORS_ORIGINS=%j, naming the variable', (value, message) => {
    const error = startupError({ CORS_ORIGINS: value });
    expect(error).toMatch(/^Invalid configuration: CORS_ORIGINS: /);
    expect(error).toContain(message);
  });

  it('reports every bad entry, in the one line of the start-up failure', () => {
    const error = startupError({ CORS_ORIGINS: 'https://ok.example.com,https://a.example.com/,b.example.com' });
    expect(error.split('\n')).toHaveLength(1);
    expect(error.match(/CORS_ORIGINS: /g)).toHaveLength(2);
    expect(error).toContain('"https://a.example.com/"');
    expect(error).toContain('"b.example.com"');
  });
});
