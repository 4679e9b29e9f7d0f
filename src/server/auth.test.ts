import jwt from 'jsonwebtoken';
import { createAuthenticator, signToken } from './auth';

const settings = { secret: 'unit-secret-unit-secret-unit-secret-0001', issuer: 'pms-gateway', audience: 'pms-gateway' };
const actor = { id: 'u1', role: 'VIEWER' as const, portfolios: ['F1'] };

describe('createAuthenticator', () => {
  it('accepts a valid token and remembers it until the token expires', () => {
    let now = Date.now();
    const authenticate = createAuthenticator(settings, 10, () => now);
    const header = `Bearer ${signToken(settings, actor, 60)}`;
    const verify = jest.spyOn(jwt, 'verify');
    expect(authenticate(header)).toEqual({ kind: 'authenticated', actor });
    expect(authenticate(header)).toEqual({ kind: 'authenticated', actor });
    expect(verify).toHaveBeenCalledTimes(1);
    verify.mockRestore();
    now += 61_000; // past exp: verified again, and jsonwebtoken now refuses it
    expect(authenticate(header)).toMatchObject({ kind: 'invalid' });
  });

  it('refuses a token signed with another secret, a malformed header, and reports no token as anonymous', () => {
    const authenticate = createAuthenticator(settings);
    const forged = signToken({ ...settings, secret: 'another-secret-another-secret-another-01' }, actor, 60);
    expect(authenticate(`Bearer ${forged}`)).toEqual({ kind: 'invalid', reason: 'Token signature or claims are invalid' });
    expect(authenticate('Basic abc')).toMatchObject({ kind: 'invalid' });
    expect(authenticate(undefined)).toEqual({ kind: 'anonymous' });
  });
});
