import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { DocumentNode } from 'graphql';
import type { Context } from '../graphql/context';
import type { CorsHook } from './cors';
import type { EncodedBody, ResponseCompression } from './compression';
import type { Logger } from './logger';
import type { Caller, GateVerdict, GraphQLRequestParts } from './operation-gate';

export interface HttpDeps {
  readonly apollo: ApolloServer<Context>;
  readonly logger: Logger;
  readonly createContext: (req: http.IncomingMessage, requestId: string) => Context | Promise<Context>;
  /** Resolves when the database answers; /readyz reports 503 otherwise. */
  readonly ready: () => Promise<void>;
  /** True once shutdown began: /readyz reports 503 so that load balancers stop sending (shutdown.ts). */
  readonly draining?: () => boolean;
  /** The Prometheus exposition for /metrics: with its content type (the registry's), or plain text (version 0.0.4). */
  readonly metrics: () => string | Promise<{ readonly contentType: string; readonly text: string }>;
  /**
   * The checks every request carrying a GraphQL document passes before the operation cache or
   * Apollo sees it (operation-gate.ts): token, rate, limits, validation, cost. Without a gate,
   * documents go to Apollo as they are.
   */
  readonly gate?: {
    /** The refusal of a request without a token, before its body is read; null when it may still pass (Sandbox). */
    refuseAnonymous(caller: Caller): GateVerdict | null;
    check(request: GraphQLRequestParts, caller: Caller): GateVerdict | Promise<GateVerdict>;
  };
  /**
   * The operation cache (its `serve`): given a request the gate admitted, its context and its
   * document, a hit (the response body as chunks of bytes to write in order) or proceed to Apollo;
   * synchronous for an operation the cache cannot answer.
   */
  readonly serveCached?: (request: GraphQLRequestParts, context: Context, document: DocumentNode) => ServedBody | Promise<ServedBody>;
  /** Given each complete response body Apollo serialized, after it is sent (the operation cache fills its misses from it). */
  readonly responded?: (context: Context, body: string) => void;
  readonly maxBodyBytes?: number;
  /** CORS for /graphql (cors.ts), before anything else; without it, no CORS headers. */
  readonly cors?: CorsHook;
  /** gzip and brotli by Accept-Encoding (compression.ts); without it every body goes as it is. */
  readonly compression?: ResponseCompression;
  /** Given each /graphql request's trace once its handler has written the answer (or failed), with its duration in seconds (metrics.ts). */
  readonly observe?: (trace: RequestTrace, seconds: number) => void;
}

/** What the metrics learn of one /graphql request while it is handled. */
export interface RequestTrace {
  /** The document the gate admitted (absent when refused, or without a document). */
  document?: DocumentNode;
  operationName: string | null;
  /** Answered by the operation cache's hit path (Apollo never ran). */
  cached: boolean;
  /** The body of an answer given before Apollo (the gate's refusals, 400, 413, 500): its error codes are counted. */
  refusedBody?: string;
}

/** What the operation cache answers: a body to send, or proceed to Apollo. */
export type ServedBody = ({ readonly kind: 'hit' } & CachedBody) | { readonly kind: 'proceed' };

export interface CachedBody {
  readonly chunks: readonly Buffer[];
  readonly byteLength: number;
  /**
   * The stored entry the body is made of (operation-cache.ts): with them, compression keeps the
   * compressed form of `head` and sends it again for every hit of the same bytes.
   */
  readonly entryKey?: string;
  readonly head?: Buffer;
  readonly tail?: Buffer;
}

/** Writes an encoded body with its length, its coding and the other headers given (`headers` is the caller's own object, completed here). */
function sendEncoded(res: http.ServerResponse, status: number, headers: Record<string, string | number>, body: EncodedBody): void {
  headers['content-length'] = body.byteLength;
  if (body.coding !== 'identity') headers['content-encoding'] = body.coding;
  res.writeHead(status, headers);
  const last = body.chunks.length - 1;
  for (let i = 0; i < last; i += 1) res.write(body.chunks[i]);
  res.end(body.chunks[last]);
}

/** The hit's body in the request's coding: a kept compressed form of its stored bytes when compressed. */
function encodeCached(compression: ResponseCompression, req: http.IncomingMessage, cached: CachedBody): EncodedBody | Promise<EncodedBody> {
  const { entryKey, head, tail } = cached;
  if (entryKey !== undefined && head !== undefined && tail !== undefined) return compression.encodeHit(req, { entryKey, head, tail, byteLength: cached.byteLength });
  return compression.encodeBody(req, Buffer.concat(cached.chunks).toString('utf8'));
}

const MAX_BODY = 1_000_000;

class PayloadTooLarge extends Error {}

function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop buffering but keep reading into the void: destroying the socket here would lose
        // the 413 the handler is about to send. The response closes the connection.
        req.off('data', onData);
        req.resume();
        reject(new PayloadTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * What every /graphql answer carries beside its own headers: its request id, and `Vary` (CORS's
 * `Origin`, compression's `Accept-Encoding`). Written in the same writeHead as the answer's own
 * headers: Node writes an object given to writeHead straight into the head, where one header set
 * beforehand with setHeader would send every header through setHeader's checks.
 */
interface AnswerHeaders {
  readonly requestId: string;
  readonly vary: string | null;
}

/** `own`, completed with the headers every /graphql answer carries. */
function withAnswerHeaders(own: Record<string, string | number>, answer: AnswerHeaders | undefined): Record<string, string | number> {
  if (answer === undefined) return own;
  own['x-request-id'] = answer.requestId;
  if (answer.vary !== null) own.vary = own.vary === undefined ? answer.vary : (joinVary(String(own.vary), answer.vary) ?? answer.vary);
  return own;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, trace?: RequestTrace, answer?: AnswerHeaders): void {
  const text = JSON.stringify(body);
  if (trace && status >= 400) trace.refusedBody = text;
  res.writeHead(status, withAnswerHeaders({ 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(text) }, answer));
  res.end(text);
}

function sendVerdict(res: http.ServerResponse, verdict: Extract<GateVerdict, { kind: 'refused' }>, answer: AnswerHeaders, trace?: RequestTrace): void {
  if (trace) trace.refusedBody = verdict.body;
  res.writeHead(verdict.status, withAnswerHeaders({ ...verdict.headers, 'content-length': Buffer.byteLength(verdict.body) }, answer));
  res.end(verdict.body);
}

async function graphql(deps: HttpDeps, req: http.IncomingMessage, res: http.ServerResponse, answer: AnswerHeaders, trace?: RequestTrace): Promise<void> {
  const { requestId } = answer;
  const maxBodyBytes = deps.maxBodyBytes ?? MAX_BODY;
  // Cheapest first: a declared size over the limit, then a missing token, before the body is read.
  if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes) {
    // Read into the void, as readBody does past the limit: the 413 must reach the client.
    req.resume();
    throw new PayloadTooLarge();
  }
  // One context per request, shared by the hit path and Apollo's execution.
  const made = deps.createContext(req, requestId);
  const context = made instanceof Promise ? await made : made;
  const caller: Caller = { subject: context.actor?.id ?? null, authError: context.authError };
  if (deps.gate && caller.subject === null && (req.method === 'POST' || /[?&]query=/.test(req.url ?? ''))) {
    const refused = deps.gate.refuseAnonymous(caller);
    if (refused?.kind === 'refused') {
      req.resume();
      return sendVerdict(res, refused, answer, trace);
    }
  }
  let body: unknown = undefined;
  if (req.method === 'POST') {
    const text = await readBody(req, maxBodyBytes);
    const type = req.headers['content-type'] ?? '';
    if (type.toLowerCase().startsWith('application/json') && text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        sendJson(res, 400, { errors: [{ message: 'Request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] }, trace, answer);
        return;
      }
    } else {
      body = text;
    }
  }
  // The same checks for both paths, before either: a refused request reaches neither.
  let document: DocumentNode | undefined;
  const request = deps.gate ? graphqlRequestOf(req, body) : null;
  if (deps.gate && request) {
    const checked = deps.gate.check(request, caller);
    const verdict = checked instanceof Promise ? await checked : checked;
    if (verdict.kind === 'refused') return sendVerdict(res, verdict, answer, trace);
    document = verdict.document;
    if (trace) {
      trace.document = document;
      trace.operationName = request.operationName;
    }
  }
  // POST only, as before: a GET goes to Apollo (its CSRF prevention). Synchronous for an
  // operation the cache cannot answer: such a request awaits nothing more.
  if (deps.serveCached && request && document && req.method === 'POST') {
    const served = deps.serveCached(request, context, document);
    const cached = served instanceof Promise ? await served : served;
    if (cached.kind === 'hit') {
      // The stored bytes as they are (or their compressed form, kept): nothing decoded, copied or encoded again.
      const headers = withAnswerHeaders({ 'content-type': JSON_TYPE }, answer);
      if (trace) trace.cached = true;
      if (!deps.compression) return sendEncoded(res, 200, headers, { coding: 'identity', chunks: cached.chunks, byteLength: cached.byteLength });
      const encoded = encodeCached(deps.compression, req, cached);
      return sendEncoded(res, 200, headers, encoded instanceof Promise ? await encoded : encoded);
    }
  }
  // Apollo's own request: built only for requests the cache did not answer.
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const response = await deps.apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
    context: () => Promise.resolve(context),
  });
  const own: Record<string, string | number> = {};
  // Apollo's own Vary (if any) keeps its values; the answer's join them.
  for (const [key, value] of response.headers) own[key] = value;
  const out = withAnswerHeaders(own, answer);
  if (response.body.kind === 'complete' && deps.compression) {
    const encoded = deps.compression.encodeBody(req, response.body.string);
    sendEncoded(res, response.status ?? 200, out, encoded instanceof Promise ? await encoded : encoded);
    deps.responded?.(context, response.body.string);
    return;
  }
  res.writeHead(response.status ?? 200, out);
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    deps.responded?.(context, response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

/**
 * The document, variables and operation name of a request that carries a document (a POST body
 * object with a `query` string, or GET parameters); null for anything else, which Apollo answers
 * without parsing (the landing page, a missing or malformed query, a batch).
 */
function graphqlRequestOf(req: http.IncomingMessage, body: unknown): GraphQLRequestParts | null {
  if (req.method === 'POST') {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
    const { query, variables, operationName } = body as Record<string, unknown>;
    if (typeof query !== 'string') return null;
    return {
      query,
      variables: typeof variables === 'object' && variables !== null && !Array.isArray(variables) ? (variables as Record<string, unknown>) : null,
      operationName: typeof operationName === 'string' ? operationName : null,
    };
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const query = url.searchParams.get('query');
  if (query === null) return null;
  let variables: Record<string, unknown> | null = null;
  try {
    const parsed: unknown = JSON.parse(url.searchParams.get('variables') ?? 'null');
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) variables = parsed as Record<string, unknown>;
  } catch {
    // Apollo answers malformed variables with a 400 of its own.
  }
  return { query, variables, operationName: url.searchParams.get('operationName') };
}

/** A plain node:http server: /graphql (Apollo), /healthz (process up), /readyz (database reachable). */
export function createHttpServer(deps: HttpDeps): http.Server {
  // The Vary of every /graphql answer, the same for all: CORS's and compression's.
  const vary = joinVary(deps.cors?.vary ?? null, deps.compression?.settings.enabled ? 'Accept-Encoding' : null);
  const observe = deps.observe;
  return http.createServer((req, res) => {
    const started = observe ? process.hrtime.bigint() : 0n;
    const requestId = (req.headers['x-request-id'] as string | undefined)?.slice(0, 64) || randomUUID();
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const isGraphql = path === '/graphql';
    const answer: AnswerHeaders | undefined = isGraphql ? { requestId, vary } : undefined;
    const trace: RequestTrace | undefined = isGraphql && observe ? { operationName: null, cached: false } : undefined;
    const handle = async (): Promise<void> => {
      // First: a preflight is answered before the CSRF check, the gate and Apollo, and the CORS
      // headers set here are on every /graphql answer (Apollo's, the hit path's, the refusals).
      if (isGraphql && deps.cors?.handle(req, res) === 'answered') return;
      switch (path) {
        case '/graphql':
          return graphql(deps, req, res, answer!, trace);
        case '/healthz':
          return sendJson(res, 200, { status: 'ok' });
        case '/readyz':
          if (deps.draining?.()) return sendJson(res, 503, { status: 'unavailable', reason: 'shutting down' });
          try {
            await deps.ready();
            return sendJson(res, 200, { status: 'ready' });
          } catch {
            return sendJson(res, 503, { status: 'unavailable', reason: 'database unreachable' });
          }
        case '/metrics': {
          const exposition = await deps.metrics();
          const { contentType, text } = typeof exposition === 'string' ? { contentType: 'text/plain; version=0.0.4', text: exposition } : exposition;
          res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
          res.end(text);
          return;
        }
        case '/':
          res.writeHead(302, { location: '/graphql' });
          res.end();
          return;
        default:
          return sendJson(res, 404, { error: 'not found', paths: ['/graphql', '/healthz', '/readyz', '/metrics'] });
      }
    };
    // The request's duration, once its answer is written (or the handler failed): the metrics'
    // observation needs no listener on the response.
    const done = trace ? () => observe!(trace, Number(process.hrtime.bigint() - started) / 1e9) : undefined;
    const failed = (error: unknown): void => {
      if (error instanceof PayloadTooLarge) {
        if (!res.headersSent) {
          res.setHeader('connection', 'close');
          sendJson(res, 413, { errors: [{ message: 'Request body too large', extensions: { code: 'PAYLOAD_TOO_LARGE' } }] }, trace, answer);
        }
      } else {
        deps.logger.error({ err: error, requestId }, 'http handler failed');
        if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }, trace, answer);
        else res.end();
      }
      done?.();
    };
    handle().then(done, failed);
  });
}

/** Two Vary values joined, each value once (case-insensitively); `*` stands alone. */
export function joinVary(first: string | null, second: string | null): string | null {
  if (first === null || first === '') return second;
  if (second === null || second === '') return first;
  const values: string[] = [];
  for (const value of `${first},${second}`.split(',')) {
    const name = value.trim();
    if (name === '*') return '*';
    if (name !== '' && !values.some((v) => v.toLowerCase() === name.toLowerCase())) values.push(name);
  }
  return values.join(', ');
}

export function listen(server: http.Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
