// Contender "ceiling": the physical limit of a cached answer on this machine. A bare node:http
// server that, on any POST, does one Redis GET of the book response bytes (stored once by the
// runner in DB 15) and writes the Buffer as is. No GraphQL, no auth, no parsing.
import http from 'node:http';
import { Redis } from 'ioredis';
import { CEILING_KEY, HOST, REFERENCE_REDIS_DB, redisUrl } from '../common';
import { announceReady, renderMetrics, runServer, stopOnSignals } from './common';

async function main(): Promise<void> {
  const redis = new Redis(redisUrl(REFERENCE_REDIS_DB), { maxRetriesPerRequest: 1 });
  if ((await redis.exists(CEILING_KEY)) !== 1) throw new Error(`${CEILING_KEY} is not set in Redis DB ${REFERENCE_REDIS_DB}`);
  const server = http.createServer((req, res) => {
    if (req.method === 'POST') {
      redis.getBuffer(CEILING_KEY).then(
        (bytes) => {
          if (!bytes) {
            res.writeHead(503).end();
            return;
          }
          res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': bytes.length });
          res.end(bytes);
        },
        () => res.writeHead(503).end(),
      );
      return;
    }
    if (req.url === '/metrics') {
      const text = renderMetrics({ pms_sql_statements_total: 0 });
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? HOST, () => resolve());
  });
  stopOnSignals('ceiling', async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    await redis.quit();
  });
  const address = server.address();
  announceReady(typeof address === 'object' && address ? address.port : 0);
}

runServer('ceiling', main);
