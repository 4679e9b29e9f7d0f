import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { fixedClock } from '../support/clock';
import { testDb } from '../support/db';
import { DEMO_NOW } from '../support/demo';
import { startTestGateway, type TestGateway } from '../support/gateway';

/**
 * Shutdown under load, over real sockets: 32 keep-alive connections send requests back to back
 * (with short pauses, so that some connections are idle at any moment) and the gateway is told to
 * stop in the middle (`gateway.stop`, what the SIGTERM handler calls).
 *
 * "Written before the signal": the client's request emitted 'finish' (all its bytes handed to the
 * kernel) before stop was called. Each such request must get a complete response (status, every
 * byte of its body). Requests written after it get a complete response too, or a clean close: the
 * server's FIN before any response ("socket hang up"), or a refused connection once the listener
 * is closed. None may see a TCP reset (ECONNRESET from a read), on any request.
 */

const CONNECTIONS = 32;
const db = testDb();

afterAll(async () => {
  await db.destroy();
});

type Outcome =
  | { readonly kind: 'response'; readonly status: number; readonly connection: string | undefined; readonly complete: boolean; readonly path: string }
  | { readonly kind: 'hangup' | 'refused' | 'reset' | 'other'; readonly message: string };

interface Sent {
  readonly writtenAt: number | null;
  readonly answeredAt: number;
  readonly outcome: Outcome;
}

function send(agent: http.Agent, url: URL, token: string, path: string): Promise<Sent> {
  return new Promise((resolve) => {
    let writtenAt: number | null = null;
    const body = JSON.stringify({ query: '{ portfolios { id code } }' });
    const req = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path,
        method: path === '/graphql' ? 'POST' : 'GET',
        headers: path === '/graphql' ? { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(body) } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let complete = res.complete;
          try {
            JSON.parse(text);
          } catch {
            complete = false;
          }
          resolve({ writtenAt, answeredAt: performance.now(), outcome: { kind: 'response', status: res.statusCode ?? 0, connection: res.headers.connection, complete, path } });
        });
        res.on('error', (error) => resolve({ writtenAt, answeredAt: performance.now(), outcome: classify(error) }));
      },
    );
    req.on('finish', () => {
      writtenAt = performance.now();
    });
    req.on('error', (error) => resolve({ writtenAt, answeredAt: performance.now(), outcome: classify(error) }));
    req.end(path === '/graphql' ? body : undefined);
  });
}

function classify(error: Error): Outcome {
  const code = (error as NodeJS.ErrnoException).code;
  // Node's client says "socket hang up" (code ECONNRESET) for a FIN before any response; a real
  // reset comes from the socket's read as "read ECONNRESET" (syscall 'read').
  if (error.message === 'socket hang up') return { kind: 'hangup', message: error.message };
  if (code === 'ECONNREFUSED') return { kind: 'refused', message: error.message };
  if (code === 'ECONNRESET' || code === 'EPIPE') return { kind: 'reset', message: error.message };
  return { kind: 'other', message: `${code ?? ''} ${error.message}` };
}

describe('graceful shutdown under keep-alive load', () => {
  let gateway: TestGateway;
  let stopped: Promise<void> | null;
  /** What the SIGTERM handler calls (shutdown.ts), once. */
  const stop = (drainDeadline: number): Promise<void> => (stopped ??= gateway.gateway.stop(drainDeadline));

  beforeEach(async () => {
    gateway = await startTestGateway(db, fixedClock(DEMO_NOW));
    stopped = null;
  }, 30_000);

  afterEach(async () => {
    await stop(Date.now());
  });

  it('answers every request written before the signal, and resets none, with 32 keep-alive connections', async () => {
    const url = new URL(gateway.url);
    const token = gateway.token({ id: 'ops.drain', role: 'VIEWER', portfolios: '*' });
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
    const results: Sent[] = [];
    let signalAt: number | null = null;
    let stopLoops = false;

    const loop = async (n: number): Promise<void> => {
      for (let i = 0; !stopLoops; i += 1) {
        // Mostly GraphQL (database work: requests in flight at the signal), some /readyz.
        const path = i % 5 === n % 5 ? '/readyz' : '/graphql';
        const sent = await send(agent, url, token, path);
        results.push(sent);
        if (signalAt !== null && sent.outcome.kind !== 'response') return;
        // A short pause on some connections: they are idle, kept alive, when the signal comes.
        if (n % 2 === 0) await new Promise((r) => setTimeout(r, 1 + (i % 7)));
      }
    };
    const loops = Array.from({ length: CONNECTIONS }, (_, n) => loop(n));
    // Load for a while before the signal: every connection opened and reused.
    while (results.length < 400) await new Promise((r) => setTimeout(r, 5));
    signalAt = performance.now();
    await stop(Date.now() + 5_000);
    stopLoops = true;
    await Promise.all(loops);
    agent.destroy();

    const signal = signalAt;
    const before = results.filter((r) => r.writtenAt !== null && r.writtenAt < signal);
    const after = results.filter((r) => r.writtenAt === null || r.writtenAt >= signal);
    // Exercised: requests were in flight at the signal, and were answered after it.
    const inFlightAtSignal = before.filter((r) => r.answeredAt > signal);
    expect(inFlightAtSignal.length).toBeGreaterThan(0);

    // Every request written before the signal: a complete answer.
    const unanswered = before.filter((r) => r.outcome.kind !== 'response' || !r.outcome.complete);
    expect(unanswered.map((r) => r.outcome)).toEqual([]);
    // No reset on any request, before or after.
    expect(results.filter((r) => r.outcome.kind === 'reset' || r.outcome.kind === 'other').map((r) => r.outcome)).toEqual([]);
    // Responses during the drain tell the client to close: every one to a request written after
    // the signal (read by a draining server), and those in flight whose headers were not sent yet.
    const closing = results.filter((r) => r.outcome.kind === 'response' && r.outcome.connection === 'close');
    expect(closing.length).toBeGreaterThanOrEqual(1);
    for (const r of after) if (r.outcome.kind === 'response') expect(r.outcome.connection).toBe('close');
    // After the drain nothing is accepted: the loops ended on a clean close or a refusal.
    expect(after.some((r) => r.outcome.kind === 'hangup' || r.outcome.kind === 'refused')).toBe(true);
    if (process.env.DRAIN_VERBOSE) {
      const count = (rs: Sent[], kind: string) => rs.filter((r) => r.outcome.kind === kind).length;
      console.log({
        total: results.length,
        before: before.length,
        inFlightAtSignal: inFlightAtSignal.length,
        after: after.length,
        afterResponses: count(after, 'response'),
        afterHangups: count(after, 'hangup'),
        afterRefused: count(after, 'refused'),
        connectionClose: closing.length,
      });
    }
  }, 60_000);

  it('answers /readyz with 503 and Connection: close on a kept-alive connection while draining', async () => {
    const url = new URL(gateway.url);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const first = await send(agent, url, '', '/readyz');
    expect(first.outcome).toMatchObject({ kind: 'response', status: 200 });
    expect(first.outcome.kind === 'response' && first.outcome.connection).not.toBe('close');
    const stopping = stop(Date.now() + 5_000);
    // The same connection (idle at the signal), within the drain's grace for idle connections.
    const during = await send(agent, url, '', '/readyz');
    expect(during.outcome).toMatchObject({ kind: 'response', status: 503, connection: 'close', complete: true });
    await stopping;
    // The listener is closed: a new connection is refused.
    const afterwards = await send(new http.Agent(), url, '', '/readyz');
    expect(afterwards.outcome.kind).toBe('refused');
    agent.destroy();
  });
});
