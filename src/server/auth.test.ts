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

  it('is remembered up to the last millisecond before exp, never at it', () => {
    const exp = Math.floor(Date.now() / 1000) + 60;
    let now = (exp - 60) * 1000;
    const authenticate = createAuthenticator(settings, 10, () => now);
    const header = `Bearer ${jwt.sign({ role: actor.role, portfolios: actor.portfolios, exp }, settings.secret, { subject: actor.id, issuer: settings.issuer, audience: settings.audience })}`;
    expect(authenticate(header)).toEqual({ kind: 'authenticated', actor });
    now = exp * 1000 - 1;
    const verify = jest.spyOn(jwt, 'verify');
    expect(authenticate(header)).toEqual({ kind: 'authenticated', actor });
    expect(verify).not.toHaveBeenCalled();
    now = exp * 1000;
    expect(authenticate(header)).toMatchObject({ kind: 'invalid', reason: 'Token expired' });
    verify.mockRestore();
  });

  it('remembers at most `max` tokens, the least recently used going first', () => {
    const authenticate = createAuthenticator(settings, 2);
    const [a, b, c] = ['a', 'b', 'c'].map((id) => `Bearer ${signToken(settings, { ...actor, id }, 60)}`) as [string, string, string];
    authenticate(a);
    authenticate(b);
    authenticate(a); // a is now more recent than b
    authenticate(c); // b goes
    const verify = jest.spyOn(jwt, 'verify');
    authenticate(a);
    authenticate(c);
    expect(verify).not.toHaveBeenCalled();
    authenticate(b);
    expect(verify).toHaveBeenCalledTimes(1);
    verify.mockRestore();
  });

  it('refuses a token signed with another secret, a malformed header, and reports no token as anonymous', () => {
    const authenticate = createAuthenticator(settings);
    const forged = signToken({ ...settings, secret: 'another-secret-another-secret-another-01' }, actor, 60);
    expect(authenticate(`Bearer ${forged}`)).toEqual({ kind: 'invalid', reason: 'Token signature or claims are invalid' });
    expect(authenticate('Basic abc')).toMatchObject({ kind: 'invalid' });
    expect(authenticate(undefined)).toEqual({ kind: 'anonymous' });
  });
});
