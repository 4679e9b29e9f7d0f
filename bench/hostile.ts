// The hostile scenario (issue 13): a fresh production-mode gateway (the `cache` contender's
// environment: Redis DB 14) is sent the documents of the attack run, one class after the other
// (the 2,000 repeated fields without and with a token, the distinct ~14 kB documents, the fan-out),
// and each answer is classified by its HTTP status and error codes. Around each class, the
// gateway's CPU time (/proc, all threads) is read, and its RSS around the 1,000 distinct
// documents. Every class but the valid documents must be refused (no 200 with data), each
// refusal for under 5 ms of gateway CPU; RSS must grow by under 50 MB over the 1,000 documents.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { BIG_PORTFOLIO, GATEWAY_REDIS_DB, baseServerEnv, httpRequest, redisUrl } from './common';
import { ContenderServer, cpuMicros, peakRssMb } from './processes';
import type { Check } from './report';

export const HOSTILE_SETTINGS = {
  /** Requests of each of the 2,000-field classes (without and with a token) and of the fan-out. */
  repeatedFieldRequests: 200,
  fanOutRequests: 200,
  /** Distinct documents of each ~14 kB class (valid, over a limit or malformed). */
  distinctDocuments: 1_000,
  /** Requests in flight at once (keep-alive connections). */
  concurrency: 4,
  /** Bounds of the checks. */
  maxCpuMsPerRefusal: 5,
  maxRssGrowthMb: 50,
} as const;

/** The attack run's document: the same field repeated 2,000 times (~80 kB). */
function repeatedFieldDocument(): string {
  return `{ ${'book(portfolioId:"MACRO_FUND_1"){asOf} '.repeat(2_000)}}`;
}

/**
 * Fragments that each spread the next 8 times, 14 levels deep (~1 kB, 8^14 leaves once
 * expanded); the leaf's portfolio differs per request, so that no refusal is remembered.
 */
function fanOutDocument(i: number): string {
  const levels = 14;
  const parts = ['query { ...F0 }'];
  for (let level = 0; level < levels - 1; level++) parts.push(`fragment F${level} on Query { ${`...F${level + 1} `.repeat(8)}}`);
  parts.push(`fragment F${levels - 1} on Query { book(portfolioId:"P${i}"){asOf} }`);
  return parts.join('\n');
}

const TARGET_CHARS = 14_000;

/** A distinct filler of ~14 kB (letters only, so that it can go in a comment or a name). */
function filler(i: number, chars: number): string {
  const unit = `n${i.toString(36)}x`;
  return unit.repeat(Math.ceil(chars / unit.length)).slice(0, chars);
}

/** A valid document of ~14 kB: a book query whose comment and alias differ per document. */
function validDocument(i: number): string {
  return `# ${filler(i, TARGET_CHARS - 80)}\n{ d${i}: book(portfolioId:"${BIG_PORTFOLIO}"){asOf} }`;
}

/**
 * Over a limit or malformed, ~14 kB each, distinct: even ones 310 aliased fields with distinct
 * alias names (over the token limit, and the alias limit), odd ones a valid prefix padded by a
 * comment and cut off mid-selection (a syntax error).
 */
function invalidDocument(i: number): string {
  if (i % 2 === 0) {
    const fields: string[] = [];
    for (let k = 0; fields.join(' ').length < TARGET_CHARS - 50; k++) fields.push(`a${i}_${k}: book(portfolioId:"MACRO_FUND_1"){asOf}`);
    return `{ ${fields.join(' ')} }`;
  }
  return `# ${filler(i, TARGET_CHARS - 80)}\n{ book(portfolioId:"${BIG_PORTFOLIO}"){ asOf `;
}

export interface HostileClass {
  readonly id: string;
  readonly title: string;
  /** True: every answer must be a refusal; false: every answer must be 200 with data. */
  readonly mustRefuse: boolean;
  readonly requests: number;
  readonly bytesPerRequest: number;
  /** Answers by `HTTP status code` (code: the first error's extensions.code, `data` for a 200 with data). */
  readonly answers: Readonly<Record<string, number>>;
  /** The first error message seen for each kind of answer (shortened). */
  readonly messages: Readonly<Record<string, string>>;
  /** Answers that broke the rule (a 200 with data for a refused class; anything else for a valid one). */
  readonly wrong: number;
  readonly seconds: number;
  /** Gateway process CPU (user + system, all threads) over the class / requests. */
  readonly cpuMsPerRequest: number;
  /** RSS (VmRSS) of the gateway before and after the class, and VmHWM after it, MB. */
  readonly rssBeforeMb: number;
  readonly rssAfterMb: number;
  readonly peakRssMb: number;
}

export interface HostileOutcome {
  readonly settings: typeof HOSTILE_SETTINGS;
  readonly rssStartMb: number;
  readonly classes: readonly HostileClass[];
  /** RSS growth over both classes of distinct ~14 kB documents (2 × 1,000), MB. */
  readonly distinctRssGrowthMb: number;
  readonly peakRssMb: number;
  readonly seconds: number;
}

function rssMb(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `200 data`, `400 LIMIT_EXCEEDED`, `401 UNAUTHENTICATED`… (the error codes of the answer), and
 * its first error message; `error <code>` when the request failed.
 */
function classify(status: number, body: Buffer): { key: string; message: string } {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { data?: unknown; errors?: { message?: string; extensions?: { code?: string } }[] };
    if (parsed.errors && parsed.errors.length > 0) {
      return { key: `${status} ${[...new Set(parsed.errors.map((e) => e.extensions?.code ?? '?'))].join('+')}`, message: (parsed.errors[0]!.message ?? '').slice(0, 200) };
    }
    if (parsed.data !== undefined && parsed.data !== null) return { key: `${status} data`, message: '' };
    return { key: `${status} empty`, message: '' };
  } catch {
    return { key: `${status} not JSON`, message: body.toString('utf8').slice(0, 200) };
  }
}

async function sendClass(
  server: ContenderServer,
  spec: { id: string; title: string; mustRefuse: boolean; count: number; token: string | null; document: (i: number) => string },
): Promise<HostileClass> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: HOSTILE_SETTINGS.concurrency });
  const bodies = Array.from({ length: spec.count }, (_, i) => JSON.stringify({ query: spec.document(i) }));
  const answers: Record<string, number> = {};
  const messages: Record<string, string> = {};
  const rssBeforeMb = rssMb(server.pid);
  const cpuBefore = cpuMicros(server.pid);
  const started = Date.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      let key: string;
      let message = '';
      try {
        const answer = await httpRequest(server.graphqlUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(spec.token === null ? {} : { authorization: `Bearer ${spec.token}` }) },
          body,
          agent,
        });
        ({ key, message } = classify(answer.status, answer.body));
      } catch (error) {
        key = `error ${error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? error.message) : String(error)}`;
      }
      answers[key] = (answers[key] ?? 0) + 1;
      messages[key] ??= message;
    }
  };
  try {
    await Promise.all(Array.from({ length: HOSTILE_SETTINGS.concurrency }, worker));
  } finally {
    agent.destroy();
  }
  const seconds = (Date.now() - started) / 1000;
  const cpuAfter = cpuMicros(server.pid);
  await sleep(500); // let the last answers' garbage settle before RSS is read
  const wrong = Object.entries(answers)
    .filter(([key]) => (spec.mustRefuse ? key === '200 data' : key !== '200 data'))
    .reduce((n, [, count]) => n + count, 0);
  return {
    id: spec.id,
    title: spec.title,
    mustRefuse: spec.mustRefuse,
    requests: spec.count,
    bytesPerRequest: Math.round(bodies.reduce((n, b) => n + Buffer.byteLength(b), 0) / Math.max(1, bodies.length)),
    answers,
    messages,
    wrong,
    seconds,
    cpuMsPerRequest: (cpuAfter - cpuBefore) / 1000 / Math.max(1, spec.count),
    rssBeforeMb,
    rssAfterMb: rssMb(server.pid),
    peakRssMb: peakRssMb(server.pid),
  };
}

export async function runHostile(options: { token: string; nodeArgs: readonly string[]; log: (line: string) => void }): Promise<HostileOutcome> {
  const started = Date.now();
  const env = { ...baseServerEnv(), REDIS_URL: redisUrl(GATEWAY_REDIS_DB) };
  const server = await ContenderServer.start('hostile', 'gateway.js', env, options.nodeArgs);
  options.log(`hostile: gateway pid ${server.pid}, ${server.graphqlUrl}`);
  try {
    // One valid request, so that the process has served something (and the book is cached).
    const first = await httpRequest(server.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
      body: JSON.stringify({ query: `{ book(portfolioId:"${BIG_PORTFOLIO}"){asOf} }` }),
    });
    if (first.status !== 200) throw new Error(`hostile: the first book request answered HTTP ${first.status}: ${first.body.toString('utf8').slice(0, 300)}`);
    const rssStartMb = rssMb(server.pid);
    const s = HOSTILE_SETTINGS;
    const repeated = repeatedFieldDocument();
    const classes: HostileClass[] = [];
    const run = async (spec: Parameters<typeof sendClass>[1]): Promise<HostileClass> => {
      const result = await sendClass(server, spec);
      classes.push(result);
      options.log(
        `hostile: ${result.id.padEnd(16)} ${String(result.requests).padStart(5)} × ${(result.bytesPerRequest / 1024).toFixed(1)} kB in ${result.seconds.toFixed(1)} s, ` +
          `${result.cpuMsPerRequest.toFixed(2)} ms CPU/req, RSS ${result.rssBeforeMb.toFixed(0)} → ${result.rssAfterMb.toFixed(0)} MB (peak ${result.peakRssMb.toFixed(0)}): ` +
          Object.entries(result.answers).map(([k, n]) => `${k} ×${n}${result.messages[k] ? ` ("${result.messages[k].slice(0, 120)}")` : ''}`).join(', '),
      );
      return result;
    };
    await run({ id: 'fields-no-token', title: '2,000 repeated fields, no token', mustRefuse: true, count: s.repeatedFieldRequests, token: null, document: () => repeated });
    await run({ id: 'fields-token', title: '2,000 repeated fields, valid token', mustRefuse: true, count: s.repeatedFieldRequests, token: options.token, document: () => repeated });
    const valid = await run({ id: 'distinct-valid', title: 'distinct ~14 kB valid documents', mustRefuse: false, count: s.distinctDocuments, token: options.token, document: validDocument });
    const invalid = await run({
      id: 'distinct-invalid',
      title: 'distinct ~14 kB documents over a limit / malformed',
      mustRefuse: true,
      count: s.distinctDocuments,
      token: options.token,
      document: invalidDocument,
    });
    // Last: its RSS, whatever it leaves, does not move the figures of the distinct documents.
    await run({ id: 'fan-out', title: 'fragment fan-out (8 spreads × 14 levels)', mustRefuse: true, count: s.fanOutRequests, token: options.token, document: fanOutDocument });
    return {
      settings: HOSTILE_SETTINGS,
      rssStartMb,
      classes,
      distinctRssGrowthMb: invalid.rssAfterMb - valid.rssBeforeMb,
      peakRssMb: peakRssMb(server.pid),
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await server.stop();
  }
}

export function hostileChecks(outcome: HostileOutcome): Check[] {
  const s = outcome.settings;
  const checks: Check[] = [];
  for (const c of outcome.classes) {
    const answers = Object.entries(c.answers).map(([k, n]) => `${k} ×${n}`).join(', ');
    checks.push({
      name: c.mustRefuse ? `hostile: ${c.id} all refused` : `hostile: ${c.id} all answered`,
      ok: c.wrong === 0,
      detail: `${c.requests} requests: ${answers}`,
    });
    if (c.mustRefuse) {
      checks.push({
        name: `hostile: ${c.id} refusal < ${s.maxCpuMsPerRefusal} ms gateway CPU`,
        ok: c.cpuMsPerRequest < s.maxCpuMsPerRefusal,
        detail: `${c.cpuMsPerRequest.toFixed(2)} ms per request`,
      });
    }
  }
  for (const c of outcome.classes.filter((x) => x.id.startsWith('distinct-'))) {
    checks.push({
      name: `hostile: ${c.id} RSS growth < ${s.maxRssGrowthMb} MB`,
      ok: c.rssAfterMb - c.rssBeforeMb < s.maxRssGrowthMb,
      detail: `${(c.rssAfterMb - c.rssBeforeMb).toFixed(1)} MB over ${INT.format(c.requests)} documents (${c.rssBeforeMb.toFixed(0)} → ${c.rssAfterMb.toFixed(0)} MB, peak ${c.peakRssMb.toFixed(0)} MB)`,
    });
  }
  return checks;
}

const INT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** The hostile section of the printed report. */
export function formatHostile(outcome: HostileOutcome): string[] {
  const rows = outcome.classes.map((c) => [
    c.title,
    INT.format(c.requests),
    (c.bytesPerRequest / 1024).toFixed(1),
    c.cpuMsPerRequest.toFixed(2),
    c.rssBeforeMb.toFixed(0),
    c.rssAfterMb.toFixed(0),
    c.peakRssMb.toFixed(0),
    Object.entries(c.answers).map(([k, n]) => `${k} ×${n}`).join(', '),
  ]);
  const header = ['class', 'requests', 'kB/req', 'CPU ms/req', 'RSS before', 'RSS after', 'peak', 'answers'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((cell, i) => (i === 0 || i === cells.length - 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  return [
    '',
    `Hostile documents (${outcome.seconds.toFixed(0)} s): a fresh production-mode gateway, RSS ${outcome.rssStartMb.toFixed(0)} MB after its first request; ` +
      `RSS growth over both classes of distinct documents ${outcome.distinctRssGrowthMb.toFixed(1)} MB (target < ${outcome.settings.maxRssGrowthMb} per class of 1,000)`,
    '',
    line(header),
    widths.map((w) => '─'.repeat(w)).join('  '),
    ...rows.map(line),
  ];
}
