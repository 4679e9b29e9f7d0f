import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';
import type { Knex } from 'knex';
import { createGateway, type Gateway } from '../../src/server/app';
import { signToken } from '../../src/server/auth';
import { loadConfig } from '../../src/server/config';
import { createLogger } from '../../src/server/logger';
import type { Clock } from '../../src/domain/dates';
import type { CacheStore } from '../../src/resolver-cache/store/cache-store';
import type { Actor } from '../../src/services/access';

export interface GraphQLResponse<T> {
  readonly status: number;
  readonly data: T | null | undefined;
  readonly errors: readonly GraphQLFormattedError[] | undefined;
  readonly extensions: Record<string, unknown> | undefined;
}

export interface TestGateway {
  readonly url: string;
  readonly gateway: Gateway;
  /** A bearer token for `actor`, signed as the gateway expects. */
  token(actor: Actor): string;
  /** Sends a generated client document over HTTP, as a client team would. */
  execute<T, V extends Record<string, unknown>>(
    document: TypedDocumentNode<T, V>,
    variables: V,
    token?: string,
  ): Promise<GraphQLResponse<T>>;
  stop(): Promise<void>;
}

const JWT = { secret: 'test-secret-test-secret-test-secret-0123', issuer: 'pms-gateway', audience: 'pms-gateway' };

export interface TestGatewayOptions {
  /** A cache store for this gateway (e.g. Redis on a test DB index); the configured memory store otherwise. */
  readonly cacheStore?: CacheStore;
  /** Extra environment, e.g. CACHE_ENABLED=false. */
  readonly env?: Record<string, string>;
}

/** Starts a real gateway on an ephemeral loopback port against the test database. */
export async function startTestGateway(db: Knex, clock: Clock, options: TestGatewayOptions = {}): Promise<TestGateway> {
  const config = loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    JWT_SECRET: JWT.secret,
    SANDBOX: 'true',
    // Production requires a journal key; elsewhere the development key (shared by every suite).
    ...(options.env?.NODE_ENV === 'production' ? { JOURNAL_KEY: 'test-journal-key-test-journal-key-0123' } : {}),
    // Off even for a production-mode gateway: a warm run computes every active portfolio of the
    // test database, statements and computations no suite asked for. The warming tests set it.
    CACHE_WARM_INTERVAL: '0',
    ...options.env,
  });
  const gateway = await createGateway(config, createLogger('silent'), { db, clock, cacheStore: options.cacheStore });
  const url = await gateway.start();
  return {
    url,
    gateway,
    token: (actor) => signToken(JWT, actor, 3600),
    async execute(document, variables, token) {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query: print(document), variables }),
      });
      const body = (await response.json()) as { data?: never; errors?: GraphQLFormattedError[]; extensions?: Record<string, unknown> };
      return { status: response.status, data: body.data, errors: body.errors, extensions: body.extensions };
    },
    stop: () => gateway.stop(),
  };
}

/** The `extensions.code` of each error, for compact assertions. */
export function codes(response: GraphQLResponse<unknown>): string[] {
  return (response.errors ?? []).map((e) => String(e.extensions?.code));
}
