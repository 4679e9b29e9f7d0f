import { createHash } from 'node:crypto';
import type { DocumentStore } from '@apollo/server';
import {
  GraphQLError, Kind, NoSchemaIntrospectionCustomRule, parse, specifiedRules, TokenKind, validate, visit, type ASTNode, type DocumentNode,
  type GraphQLFormattedError, type GraphQLSchema, type Location, type SelectionNode,
} from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import { LRUCache } from 'lru-cache';
import { describeExceeded, exceededStaticLimits, type LimitExceeded, type OperationLimits } from './operation-limits';
import type { RateVerdict, SubjectRateLimiter } from './rate-limit';

/** What a GraphQL request asks, as the HTTP layer read it (POST body or GET parameters). */
export interface GraphQLRequestParts {
  readonly query: string;
  readonly variables: Readonly<Record<string, unknown>> | null;
  readonly operationName: string | null;
}

/** Who is asking: the token's subject, or null with the reason a token sent was refused. */
export interface Caller {
  readonly subject: string | null;
  readonly authError: string | null;
}

export type GateVerdict =
  | { readonly kind: 'admitted'; readonly document: DocumentNode }
  | { readonly kind: 'refused'; readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body: string };

type Refused = Extract<GateVerdict, { kind: 'refused' }>;

export type FormatError = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

export interface OperationGateOptions {
  /** The executable schema (after the cache wrapped it): validation runs against it. */
  readonly schema: GraphQLSchema;
  readonly limits: OperationLimits;
  /** Off: validation refuses `__schema` and `__type` (graphql-js's NoSchemaIntrospectionCustomRule). */
  readonly introspection: boolean;
  /** On: a request without a token may still run an introspection-only operation (Apollo Sandbox). */
  readonly sandbox: boolean;
  /** Prices each field (graphql/cost-policy.ts). */
  readonly estimator: ComplexityEstimator;
  /** Today's date: part of the key a cost is remembered under (a historical read depends on it). */
  readonly today: () => string;
  /** Epoch ms of the clock `today` reads, which it is asked at most once a second of; default the system's. */
  readonly now?: () => number;
  /** Apollo's own formatError, applied to the parse and validation errors the gate answers. */
  readonly formatError: FormatError;
  readonly rateLimiter?: SubjectRateLimiter | null;
  /** Memory for remembered documents (their text and syntax tree, estimated); default 16 MiB. */
  readonly maxDocumentBytes?: number;
}

const JSON_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/json; charset=utf-8' };
const UNAUTHENTICATED_HEADERS: Readonly<Record<string, string>> = { ...JSON_HEADERS, 'www-authenticate': 'Bearer' };
const TOKEN_REQUIRED = 'A bearer token is required (Authorization: Bearer <jwt>)';

/**
 * A remembered syntax tree, per token, with compacted locations, beside its text (measured on
 * client/operations/analytics.graphql: 136 kB for 619 tokens and 5.7 kB of text).
 */
const BYTES_PER_TOKEN = 210;
const DEFAULT_MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;
/**
 * A refusal is remembered only for a short document (a typo sent again and again); a longer one
 * is examined again (parsing stops at the token limit), so that attack documents, each new, do
 * not push admitted documents out of the budget.
 */
const MAX_REMEMBERED_REFUSAL_CHARS = 2_048;
/** Costs remembered by document, operation and variables; past it the least recently used go. */
const MAX_REMEMBERED_COSTS = 10_000;
/** Variables longer than this (a mutation's input) are priced each time: the keys stay under ~5 MB. */
const MAX_REMEMBERED_VARIABLES_CHARS = 512;
/** Bound of graphql-query-complexity's walk: selections visited with fragments expanded. */
const MAX_COST_NODES = 10_000;
/** graphql-query-complexity's message when MAX_COST_NODES is reached (1.1.1). */
const COST_NODES_MESSAGE = 'Query exceeds the maximum allowed number of nodes.';
/** graphql-js's message when `maxTokens` stops the parser. */
const TOKEN_LIMIT_MESSAGE = /Document contains more th[ae]t \d+ tokens/;

/** A document that passed every check that does not depend on the request's variables. */
interface Admission {
  readonly kind: 'admitted';
  readonly document: DocumentNode;
  /** Number of this admission: part of the key of its remembered costs. */
  readonly id: number;
  /** The operations it names (graphql-query-complexity is given only a name it defines). */
  readonly operationNames: ReadonlySet<string>;
  readonly introspectionOnly: boolean;
  /** No operation declares variables: the cost depends only on the day and the operation's name. */
  readonly variableFree: boolean;
  /** The last cost of a variable-free document (most are asked with one operation name). */
  lastCost: { readonly day: string; readonly operationName: string | null; readonly cost: number | null } | null;
}

interface Entry {
  readonly verdict: Admission | Refused;
  /** sha256 of the text, hex: the key Apollo asks its document store for. */
  readonly hash: string | null;
  readonly bytes: number;
}

/**
 * The checks every GraphQL request passes, in one place for both paths (the operation cache's
 * hit path and Apollo's), cheapest first (ARCHITECTURE.md, invariant 8): the body's size is the
 * HTTP layer's; then the token (a request without one is refused before its document is parsed,
 * except an introspection-only document while Sandbox is on); then the caller's rate; then, once
 * per document, parsing with a token limit, the operation limits that need only the document, and
 * full validation; then, per request, the cost with the request's variables.
 *
 * Documents are remembered by text within a byte budget: parsed and validated once, their syntax
 * tree kept with compacted locations (no token list), and handed to Apollo through its
 * `documentStore`, so Apollo neither parses nor validates them again; the operation cache keys its
 * plans by the same document object. A refusal of a short document is remembered too. The
 * documents are a byte-bounded LRU (lru-cache): past the budget the least recently asked go.
 */
export class OperationGate {
  private readonly entries: LRUCache<string, Entry>;
  /** The admitted entries by hash (Apollo's key); an entry leaves it when it leaves `entries`. */
  private readonly byHash = new Map<string, Entry>();
  private admissions = 0;
  private readonly maxBytes: number;
  private readonly rules: readonly (typeof specifiedRules)[number][];
  private readonly costs = new LRUCache<string, number>({ max: MAX_REMEMBERED_COSTS });
  /** Today, asked of the clock at most once a second (epoch ms of the asking). */
  private day = { askedAt: 0, value: '' };

  constructor(private readonly options: OperationGateOptions) {
    this.maxBytes = options.maxDocumentBytes ?? DEFAULT_MAX_DOCUMENT_BYTES;
    this.entries = new LRUCache<string, Entry>({
      maxSize: this.maxBytes,
      dispose: (entry) => {
        if (entry.hash !== null && this.byHash.get(entry.hash) === entry) this.byHash.delete(entry.hash);
      },
    });
    this.rules = options.introspection ? specifiedRules : [...specifiedRules, NoSchemaIntrospectionCustomRule];
  }

  /**
   * Apollo's document store: the documents this gate admitted, by the sha256 Apollo computes of
   * the text. Apollo trusts a stored document as validated. A document evicted between the gate
   * and Apollo (the budget is full) is parsed and validated by Apollo again, with the same token
   * limit: the text has already passed the gate's checks.
   */
  readonly documentStore: DocumentStore = {
    get: (key) => {
      const entry = this.byHash.get(key.slice(key.lastIndexOf(':') + 1));
      return Promise.resolve(entry?.verdict.kind === 'admitted' ? entry.verdict.document : undefined);
    },
    set: () => Promise.resolve(),
    delete: () => Promise.resolve(true),
  };

  /**
   * For a request without a valid token, before its body is read: refused unless Sandbox is on
   * (its introspection query then still needs the document to be read).
   */
  refuseAnonymous(caller: Caller): GateVerdict | null {
    return this.options.sandbox ? null : unauthenticated(caller.authError);
  }

  /** Synchronous except when the rate limiter asks its store (once per block of requests). */
  check(request: GraphQLRequestParts, caller: Caller): GateVerdict | Promise<GateVerdict> {
    if (caller.subject === null) {
      if (!this.options.sandbox || !this.isIntrospectionOnly(request.query)) return unauthenticated(caller.authError);
      return this.admit(request);
    }
    const limiter = this.options.rateLimiter;
    if (limiter) {
      const rate = limiter.take(caller.subject);
      if (rate instanceof Promise) return rate.then((verdict) => (verdict.allowed ? this.admit(request) : tooMany(limiter, verdict)));
      if (!rate.allowed) return tooMany(limiter, rate);
    }
    return this.admit(request);
  }

  /** Documents remembered (admitted or refused), and their estimated bytes. */
  get remembered(): { readonly documents: number; readonly bytes: number } {
    return { documents: this.entries.size, bytes: this.entries.calculatedSize };
  }

  private admit(request: GraphQLRequestParts): GateVerdict {
    const verdict = this.entryFor(request.query).verdict;
    if (verdict.kind === 'refused') return verdict;
    const cost = this.costOf(verdict, request);
    if (cost !== null && cost > this.options.limits.cost) {
      const over = cost === Infinity
        ? { limit: 'cost' as const, max: this.options.limits.cost, actual: this.options.limits.cost + 1, partial: true }
        : { limit: 'cost' as const, max: this.options.limits.cost, actual: cost };
      return limitsRefusal([over]);
    }
    return verdict;
  }

  /**
   * The cost of the operation with the request's variables, remembered by document, operation,
   * variables and day; null when the variables do not fit the operation (execution refuses them,
   * and does nothing), Infinity past MAX_COST_NODES.
   */
  private costOf(admission: Admission, request: GraphQLRequestParts): number | null {
    if (admission.variableFree) {
      const day = this.today();
      const last = admission.lastCost;
      if (last !== null && last.day === day && last.operationName === request.operationName) return last.cost;
      const cost = this.computeCost(admission, { ...request, variables: null });
      admission.lastCost = { day, operationName: request.operationName, cost };
      return cost;
    }
    const variables = request.variables === null ? '' : jsonOrNull(request.variables);
    const remember = variables !== null && variables.length <= MAX_REMEMBERED_VARIABLES_CHARS;
    const key = remember ? `${admission.id}\n${this.today()}\n${request.operationName ?? ''}\n${variables}` : '';
    const known = remember ? this.costs.get(key) : undefined;
    if (known !== undefined) return known;
    const cost = this.computeCost(admission, request);
    if (remember && cost !== null) {
      this.costs.set(key, cost);
    }
    return cost;
  }

  private computeCost(admission: Admission, request: GraphQLRequestParts): number | null {
    try {
      return getComplexity({
        schema: this.options.schema,
        query: admission.document,
        variables: request.variables ?? {},
        operationName: request.operationName !== null && admission.operationNames.has(request.operationName) ? request.operationName : undefined,
        estimators: [this.options.estimator],
        maxQueryNodes: MAX_COST_NODES,
      });
    } catch (error) {
      if (error instanceof GraphQLError && error.message === COST_NODES_MESSAGE) return Infinity;
      return null;
    }
  }

  private today(): string {
    const now = (this.options.now ?? Date.now)();
    // A clock set back (a test's) asks again at once, as does one a second on.
    if (now - this.day.askedAt >= 1_000 || now < this.day.askedAt) this.day = { askedAt: now, value: this.options.today() };
    return this.day.value;
  }

  private entryFor(query: string): Entry {
    const known = this.entries.get(query);
    if (known) return known;
    const entry = this.examine(query);
    if (entry.verdict.kind === 'refused' && query.length > MAX_REMEMBERED_REFUSAL_CHARS) return entry;
    if (entry.bytes > this.maxBytes / 8) return entry;
    this.entries.set(query, entry, { size: entry.bytes });
    if (entry.hash !== null) this.byHash.set(entry.hash, entry);
    return entry;
  }

  /** Parse (token limit), static limits, validation: once per document. */
  private examine(query: string): Entry {
    const refused = (verdict: Refused): Entry => ({ verdict, hash: null, bytes: query.length + verdict.body.length });
    let document: DocumentNode;
    try {
      document = parse(query, { maxTokens: this.options.limits.tokens });
    } catch (error) {
      if (error instanceof GraphQLError && TOKEN_LIMIT_MESSAGE.test(error.message)) {
        const max = this.options.limits.tokens;
        return refused(limitsRefusal([{ limit: 'tokens', max, actual: max + 1, partial: true }]));
      }
      return refused(this.syntaxRefusal(error));
    }
    try {
      const exceeded = exceededStaticLimits(this.options.schema, document, this.options.limits);
      if (exceeded.length > 0) return refused(limitsRefusal(exceeded));
      const errors = validate(this.options.schema, document, this.rules);
      if (errors.length > 0) return refused(this.validationRefusal(errors));
    } catch (error) {
      // A stack overflow in a rule (a literal nested as deep as the parser allowed) refuses the
      // document like the parser's own; any other throw is the gateway's, and propagates.
      if (error instanceof RangeError) return refused(this.syntaxRefusal(error));
      throw error;
    }
    const tokens = countTokens(document);
    const operationNames = new Set<string>();
    for (const definition of document.definitions) {
      if (definition.kind === Kind.OPERATION_DEFINITION && definition.name) operationNames.add(definition.name.value);
    }
    this.admissions += 1;
    const admission: Admission = {
      kind: 'admitted',
      document: compactLocations(document),
      id: this.admissions,
      operationNames,
      introspectionOnly: introspectionOnly(document),
      variableFree: document.definitions.every((d) => d.kind !== Kind.OPERATION_DEFINITION || !d.variableDefinitions?.length),
      lastCost: null,
    };
    return { verdict: admission, hash: createHash('sha256').update(query).digest('hex'), bytes: query.length + tokens * BYTES_PER_TOKEN };
  }

  /**
   * For a request without a token while Sandbox is on: whether its document asks only for
   * introspection. Parsed within the token limit and not validated unless it does.
   */
  private isIntrospectionOnly(query: string): boolean {
    const known = this.entries.peek(query)?.verdict;
    if (known) return known.kind === 'admitted' && known.introspectionOnly;
    try {
      return introspectionOnly(parse(query, { maxTokens: this.options.limits.tokens, noLocation: true }));
    } catch {
      return false;
    }
  }

  private syntaxRefusal(error: unknown): Refused {
    // graphql-js's syntax errors describe the client's text; anything else (a stack overflow on a
    // list literal 20,000 deep) is the parser's business and is not shown.
    const graphqlError = error instanceof GraphQLError
      ? new GraphQLError(error.message, {
        source: error.source,
        positions: error.positions,
        originalError: error,
        extensions: { ...error.extensions, code: 'GRAPHQL_PARSE_FAILED' },
      })
      : new GraphQLError('Syntax Error: the document is nested too deeply or could not be parsed.', {
        extensions: { code: 'GRAPHQL_PARSE_FAILED' },
      });
    return this.formattedRefusal([graphqlError]);
  }

  private validationRefusal(errors: readonly GraphQLError[]): Refused {
    // As Apollo wraps them (its ValidationError), so that formatError sees what it always saw.
    return this.formattedRefusal(errors.map((error) => new GraphQLError(error.message, {
      nodes: error.nodes,
      originalError: error.originalError ?? error,
      extensions: { ...error.extensions, code: 'GRAPHQL_VALIDATION_FAILED' },
    })));
  }

  private formattedRefusal(errors: readonly GraphQLError[]): Refused {
    const formatted = errors.map((error) => {
      try {
        return this.options.formatError({ ...error.toJSON(), extensions: { ...error.extensions } }, error);
      } catch {
        return { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
      }
    });
    return { kind: 'refused', status: 400, headers: JSON_HEADERS, body: `${JSON.stringify({ errors: formatted })}\n` };
  }
}

/** The JSON text of variables, or null for a value JSON.stringify cannot take (nested too deep to recurse). */
function jsonOrNull(value: unknown): string | null {
  try {
    return JSON.stringify(value);
  } catch {
    return null;
  }
}

/** An exceeded limit as an error: its code, which limit, the maximum and the count. */
function limitsRefusal(exceeded: readonly LimitExceeded[]): Refused {
  const errors = exceeded.map((e) => ({
    message: describeExceeded(e),
    extensions: { code: 'LIMIT_EXCEEDED', limit: e.limit, max: e.max, actual: e.actual },
  }));
  return { kind: 'refused', status: 400, headers: JSON_HEADERS, body: `${JSON.stringify({ errors })}\n` };
}

function unauthenticated(reason: string | null): Refused {
  const errors = [{ message: reason ?? TOKEN_REQUIRED, extensions: { code: 'UNAUTHENTICATED' } }];
  return { kind: 'refused', status: 401, headers: UNAUTHENTICATED_HEADERS, body: `${JSON.stringify({ errors })}\n` };
}

function tooMany(limiter: SubjectRateLimiter, verdict: Extract<RateVerdict, { allowed: false }>): Refused {
  const { points, durationSeconds } = limiter.settings;
  const retryAfterSeconds = Math.max(1, verdict.retryAfterSeconds);
  const errors = [{
    message: `Rate limit exceeded: more than ${points} requests in ${durationSeconds} s from this caller; retry in ${retryAfterSeconds} s.`,
    extensions: { code: 'RATE_LIMITED', limit: points, windowSeconds: durationSeconds, retryAfterSeconds },
  }];
  return {
    kind: 'refused',
    status: 429,
    headers: { ...JSON_HEADERS, 'retry-after': String(retryAfterSeconds) },
    body: `${JSON.stringify({ errors })}\n`,
  };
}

const INTROSPECTION_FIELDS: ReadonlySet<string> = new Set(['__schema', '__type', '__typename']);

/** Every operation of the document selects only introspection fields at its root (no fragment spreads). */
function introspectionOnly(document: DocumentNode): boolean {
  const onlyIntrospection = (selections: readonly SelectionNode[]): boolean =>
    selections.every((s) => (s.kind === Kind.FIELD ? INTROSPECTION_FIELDS.has(s.name.value) : s.kind === Kind.INLINE_FRAGMENT && onlyIntrospection(s.selectionSet.selections)));
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  return operations.length > 0 && operations.every((o) => onlyIntrospection(o.selectionSet.selections));
}

/** Tokens of a document parsed with locations (its token list), before compactLocations drops them. */
function countTokens(document: DocumentNode): number {
  let count = 0;
  for (let token = document.loc?.startToken.next; token && token.kind !== TokenKind.EOF; token = token.next) count += 1;
  return count;
}

/**
 * A copy of the document whose locations keep only what errors read (the source and the start
 * and end offsets), not the first and last token, which link to every token of the document:
 * remembered, a syntax tree then weighs about 60% of what it did with its token list.
 */
function compactLocations(document: DocumentNode): DocumentNode {
  return visit(document, {
    enter(node: ASTNode) {
      if (!node.loc) return undefined;
      const loc = { start: node.loc.start, end: node.loc.end, source: node.loc.source } as Location;
      return { ...node, loc };
    },
  });
}

/** Apollo's own pattern (ApolloServerPluginDisableSuggestions): graphql-js appends suggestions last. */
const SUGGESTION = / ?Did you mean(.+?)\?$/;

/** The error without graphql-js's "Did you mean …?", which names fields and types of the schema. */
export function withoutSuggestions(formatted: GraphQLFormattedError): GraphQLFormattedError {
  return SUGGESTION.test(formatted.message) ? { ...formatted, message: formatted.message.replace(SUGGESTION, '') } : formatted;
}
