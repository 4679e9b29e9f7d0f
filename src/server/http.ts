import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { Context } from '../graphql/context';
import type { Logger } from './logger';

export interface HttpDeps {
  readonly apollo: ApolloServer<Context>;
  readonly logger: Logger;
  readonly createContext: (req: http.IncomingMessage, requestId: string) => Promise<Context>;
  /** Resolves when the database answers; /readyz reports 503 otherwise. */
  readonly ready: () => Promise<void>;
  /** Prometheus text for /metrics. */
  readonly metrics: () => string;
  /**
   * The operation cache's hit path: given a parsed POST body and its context, null at once when
   * the cache cannot answer the operation, else a promise of the response body as chunks of bytes
   * to write in order, or of null to execute normally (it may mark the context for filling).
   */
  readonly serveCached?: (body: unknown, context: Context) => Promise<CachedBody | null> | null;
  /** Given each complete response body Apollo serialized, after it is sent (the operation cache fills its misses from it). */
  readonly responded?: (context: Context, body: string) => void;
  readonly maxBodyBytes?: number;
}

export interface CachedBody {
  readonly chunks: readonly Buffer[];
  readonly byteLength: number;
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

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function graphql(deps: HttpDeps, req: http.IncomingMessage, res: http.ServerResponse, requestId: string): Promise<void> {
  let body: unknown = undefined;
  if (req.method === 'POST') {
    const text = await readBody(req, deps.maxBodyBytes ?? MAX_BODY);
    const type = req.headers['content-type'] ?? '';
    if (type.toLowerCase().startsWith('application/json') && text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        sendJson(res, 400, { errors: [{ message: 'Request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] });
        return;
      }
    } else {
      body = text;
    }
  }
  // One context per request, shared by the hit path and Apollo's execution.
  const context = await deps.createContext(req, requestId);
  // Synchronously null for an operation the cache cannot answer: such a request awaits nothing more.
  const pending = deps.serveCached && typeof body === 'object' && body !== null ? deps.serveCached(body, context) : null;
  if (pending !== null) {
    const cached = await pending;
    if (cached !== null) {
      // The stored bytes as they are: nothing decoded, copied or encoded again.
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': cached.byteLength, 'x-request-id': requestId });
      const last = cached.chunks.length - 1;
      for (let i = 0; i < last; i += 1) res.write(cached.chunks[i]);
      res.end(cached.chunks[last]);
      return;
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
  const out: Record<string, string> = { 'x-request-id': requestId };
  for (const [key, value] of response.headers) out[key] = value;
  res.writeHead(response.status ?? 200, out);
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    deps.responded?.(context, response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

/** A plain node:http server: /graphql (Apollo), /healthz (process up), /readyz (database reachable). */
export function createHttpServer(deps: HttpDeps): http.Server {
  return http.createServer((req, res) => {
    const requestId = (req.headers['x-request-id'] as string | undefined)?.slice(0, 64) || randomUUID();
    const path = (req.url ?? '/').split('?')[0];
    const handle = async (): Promise<void> => {
      switch (path) {
        case '/graphql':
          return graphql(deps, req, res, requestId);
        case '/healthz':
          return sendJson(res, 200, { status: 'ok' });
        case '/readyz':
          try {
            await deps.ready();
            return sendJson(res, 200, { status: 'ready' });
          } catch {
            return sendJson(res, 503, { status: 'unavailable', reason: 'database unreachable' });
          }
        case '/metrics': {
          const text = deps.metrics();
          res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', 'content-length': Buffer.byteLength(text) });
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
    handle().catch((error: unknown) => {
      if (error instanceof PayloadTooLarge) {
        if (!res.headersSent) {
          res.setHeader('connection', 'close');
          sendJson(res, 413, { errors: [{ message: 'Request body too large', extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
        }
        return;
      }
      deps.logger.error({ err: error, requestId }, 'http handler failed');
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
      else res.end();
    });
  });
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
