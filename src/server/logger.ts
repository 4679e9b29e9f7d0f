import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string): Logger {
  // Synchronous writes keep log lines in order with the plain start-up banner on stdout.
  return pino({ level, base: { service: 'pms-gateway' }, redact: ['req.headers.authorization'] }, pino.destination({ sync: true }));
}
