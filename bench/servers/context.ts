// The per-request context of the floor and reference contenders, built as src/server/app.ts
// builds the gateway's: the actor from the bearer token (the gateway's remembering authenticator),
// fresh loaders, the services. Keep it in step with app.ts, or the comparison is not like for like.
import type http from 'node:http';
import type { Loaders } from '../../src/data/loaders';
import type { Context } from '../../src/graphql/context';
import { createAuthenticator, type JwtSettings } from '../../src/server/auth';
import type { ServiceDeps } from '../../src/services/deps';

export function contextFactory(
  jwt: JwtSettings,
  services: ServiceDeps,
  loaders: () => Loaders,
): (req: http.IncomingMessage, requestId: string) => Promise<Context> {
  const authenticate = createAuthenticator(jwt);
  return (req, requestId) => {
    const auth = authenticate(req.headers.authorization);
    return Promise.resolve({
      requestId,
      actor: auth.kind === 'authenticated' ? auth.actor : null,
      authError: auth.kind === 'invalid' ? auth.reason : null,
      loaders: loaders(),
      services,
    });
  };
}
