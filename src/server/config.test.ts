import { loadConfig } from './config';

describe('PORTFOLIO_MEMORY_SECONDS', () => {
  it('is a minute by default, and takes 0 (never) up to a day', () => {
    expect(loadConfig({ NODE_ENV: 'development' }).portfolioMemorySeconds).toBe(60);
    expect(loadConfig({ NODE_ENV: 'development', PORTFOLIO_MEMORY_SECONDS: '' }).portfolioMemorySeconds).toBe(60);
    expect(loadConfig({ NODE_ENV: 'development', PORTFOLIO_MEMORY_SECONDS: '0' }).portfolioMemorySeconds).toBe(0);
    expect(loadConfig({ NODE_ENV: 'development', PORTFOLIO_MEMORY_SECONDS: '86400' }).portfolioMemorySeconds).toBe(86_400);
  });

  it.each(['-1', '86401', '1.5', 'a minute'])('refuses %p in one line naming the variable', (value) => {
    expect(() => loadConfig({ NODE_ENV: 'development', PORTFOLIO_MEMORY_SECONDS: value })).toThrow(/^Invalid configuration: PORTFOLIO_MEMORY_SECONDS: /);
  });
});
