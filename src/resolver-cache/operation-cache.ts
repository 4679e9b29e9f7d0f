import { createHash } from 'node:crypto';
import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import {
  getArgumentValues, getOperationAST, getVariableValues, Kind, OperationTypeNode, parse, validate, visit, type ASTNode, type DocumentNode, type FieldNode,
  type FormattedExecutionResult, type GraphQLField, type GraphQLSchema, type OperationDefinitionNode, type VariableDefinitionNode,
} from 'graphql';
import { LRUCache } from 'lru-cache';
import { canonicalJson } from '../shared/canonical-json';
import { KeyDigests } from './cache-key';
import type { CacheHooks, FieldReport } from './outcome';
import { factName } from './policy';
import { cacheStateOf, type CacheContext } from './request-state';
import { MAX_REMEMBERED_QUERY_CHARS, type CachedField, type ResolverCache } from './resolver-cache';
import {
  assertNever, lookupResult, type CacheEntry, type CacheStore, type LookupBytesOutcome, type LookupBytesRequest, type LookupResult,
} from './store/cache-store';
import { systemNow, type Now } from './clock';

/**
 * The hit path at wire speed. An operation whose root fields are all cached fields of one scope
 * is answered, on a hit, with the stored bytes of a previous response: no parsing beyond the
 * first time, no execution, no serialization. The entry is keyed by the document, the variables
 * and each root field's identity, and stored under the generations of the facts of every root
 * field, so the field cache's guarantees hold: invalidation by the same bumps, authorization
 * (the policy's identify) before the store, one store round trip, misses execute normally.
 */
export interface OperationRequest {
  readonly query: string;
  readonly variables?: Readonly<Record<string, unknown>> | null;
  readonly operationName?: string | null;
}

interface PlannedField<TContext> {
  readonly responseKey: string;
  /** The root field's name, alias and arguments only (no selections, no locations). */
  readonly node: FieldNode;
  readonly definition: GraphQLField<unknown, unknown>;
  readonly cached: CachedField<TContext>;
  /** Where this field's facts are among the plan's `kinds`, in the field's own order. */
  readonly factIndexes: readonly number[];
}

/**
 * Everything a hit needs that can be known from the document alone, computed once per document.
 * It holds no part of the document's syntax tree: copies of the variable definitions and of the
 * root fields' arguments, without locations (a location links to every token of the document).
 */
interface Plan<TContext> {
  readonly documentHash: string;
  readonly variableDefinitions: readonly VariableDefinitionNode[];
  readonly fields: readonly PlannedField<TContext>[];
  /** The kinds of fact of every root field, once each, sorted: the entry's facts within a scope. */
  readonly kinds: readonly string[];
  /**
   * The variables the response depends on beyond the root fields' identities: those used anywhere
   * but in root field arguments (nested arguments, directives, fragments), sorted. A variable used
   * only as a root argument is part of the key through the identity the policy derives from it,
   * which is canonical (a portfolio by code or by id is one identity, hence one entry).
   */
  readonly keyVariables: readonly string[];
  readonly ttlSeconds: number;
  /**
   * The last `,"extensions":{…}}` a hit of this document wrote, by age: the reports differ only
   * by age, so hits within the same second share one buffer (written, never modified).
   */
  lastTail: { readonly ageSeconds: number; readonly bytes: Buffer } | null;
}

/** A request whose document the operation cache can answer (from `prepare`). */
export interface PreparedOperation {
  readonly request: OperationRequest;
}

interface Prepared<TContext> extends PreparedOperation {
  readonly plan: Plan<TContext>;
}

/**
 * A hit is the response body as chunks to write in order: the stored bytes of `{"data":…}` without
 * their closing brace (a view, not a copy), then `,"extensions":{…}}` and a newline. The two are
 * also given apart, with the key of the entry, for a server that keeps derived forms of stored
 * responses (compressed): `head` is the same for every hit of one stored entry, `tail` differs
 * with the age. The key names the operation, not the version: a new entry after an invalidation
 * has the same key, so such a form must be checked against `head` before it is served.
 */
export interface OperationHit {
  readonly kind: 'hit';
  readonly chunks: readonly Buffer[];
  readonly byteLength: number;
  readonly entryKey: string;
  readonly head: Buffer;
  readonly tail: Buffer;
}

/**
 * What `serve` answers: a hit to send as it is (Apollo never runs), or proceed to execution. On a
 * proceed that was a miss the request's cache state holds the miss, which the plugin and `fill`
 * complete; any other proceed (not an operation the cache answers, a policy refusal, the store
 * unavailable, the floors unsynced) leaves nothing behind.
 */
export type OperationServe = OperationHit | { readonly kind: 'proceed' };

const PROCEED: OperationServe = { kind: 'proceed' };

const CLOSING_BRACE = 0x7d;

export interface OperationCacheOptions {
  /** Documents (by text) whose plans are remembered; past it the least recently used go. */
  readonly maxPlans?: number;
  readonly hooks?: CacheHooks;
  /** The plugin's clock (clock.ts): entry ages, the memory of recent fills. */
  readonly now?: Now;
  /** Told of each operation `serve` answered from the store (hit) or expects to fill (miss): metrics. */
  readonly onServed?: (outcome: 'hit' | 'miss') => void;
}

const DATA_PREFIX = '{"data":';

/**
 * `{"data":…}` of a serialized response: Apollo writes `{"data":D,"extensions":E}` (errors first
 * when there are any, and then nothing is stored), then a newline. The tail is checked against the
 * extensions serialized anew (a few hundred bytes); anything unexpected falls back to serializing
 * the data itself.
 */
export function dataOnly(body: string, result: FormattedExecutionResult): string {
  const tail = result.extensions === undefined ? '}' : `,"extensions":${JSON.stringify(result.extensions)}}`;
  const end = body.endsWith('\n') ? body.length - 1 : body.length;
  if (body.startsWith(DATA_PREFIX) && body.startsWith(tail, end - tail.length)) return `${body.slice(0, end - tail.length)}}`;
  return JSON.stringify({ data: result.data });
}

/** How long a stored response stands for the concurrent misses of its key that end after it. */
const FILL_MEMORY_MS = 1_000;
/** Bound of the keys remembered for that; past it the least recently filled go. */
const MAX_RECENT_FILLS = 10_000;

/** The key of a plan by operation name: none and "" are different requests (the latter names no operation). */
function planName(operationName: string | null | undefined): string {
  return operationName ?? '\u0000';
}

/** Operation names remembered per document (its operations, and a few it does not define). */
const MAX_NAMES_PER_DOCUMENT = 16;

export class OperationCache<TContext extends CacheContext> {
  /** Plans by query text (an LRU), then by operation name ('' for none): no key is built per request. */
  private readonly plans: LRUCache<string, Map<string, Plan<TContext> | null>>;
  /**
   * Plans by the document the caller parsed and validated (see `prepare`), then by operation name:
   * they live as long as the caller keeps the document, within its own memory budget.
   */
  private readonly plansByDocument = new WeakMap<DocumentNode, Map<string, Plan<TContext> | null>>();
  private readonly hooks: CacheHooks;
  private readonly now: Now;
  private readonly onServed: ((outcome: 'hit' | 'miss') => void) | undefined;
  /** The store's lookupBytes capability, or lookup with the value encoded (a store without it). */
  private readonly readBytes: (request: LookupBytesRequest) => Promise<LookupBytesOutcome>;
  private readonly digests = new KeyDigests();
  /**
   * Entries written lately (key and generations), each for FILL_MEMORY_MS of the cache's clock,
   * so that concurrent misses of one operation store its response once, not once each.
   */
  private readonly recentFills: LRUCache<string, true>;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fieldCache: ResolverCache<TContext>,
    private readonly store: CacheStore,
    options: OperationCacheOptions = {},
  ) {
    this.plans = new LRUCache({ max: options.maxPlans ?? 1_000 });
    this.hooks = options.hooks ?? {};
    this.now = options.now ?? systemNow;
    this.onServed = options.onServed;
    this.readBytes = store.lookupBytes ? store.lookupBytes.bind(store) : (request) => lookupAsBytes(store, request);
    // ttlResolution 0: every check asks the clock (lru-cache would otherwise reuse a reading for a
    // millisecond of real time, which a test clock's move would not end).
    this.recentFills = new LRUCache<string, true>({ max: MAX_RECENT_FILLS, ttl: FILL_MEMORY_MS, ttlResolution: 0, perf: { now: this.now } });
  }

  /**
   * The operation cache's one entry point, called once per request after the server's own checks
   * (the same gate as Apollo's path) and before execution. Answers `hit`, the response body to send
   * as it is, or `proceed`: execute the request normally. A miss proceeds with the request's cache
   * state holding it: the root fields' entries read in the same round trip are offered to
   * execution, the plugin (`apolloPlugin`) notes whether the response may be stored, and `fill`
   * stores the body the server sent.
   *
   * Synchronous (a `proceed` at once, one map lookup after a document's first request) for an
   * operation the cache cannot answer: such a request awaits nothing more. `document` is the
   * request's document as the server parsed and validated it (see `prepare`).
   */
  serve(request: OperationRequest, context: TContext, document?: DocumentNode): OperationServe | Promise<OperationServe> {
    const plan = this.planFor(request, document);
    return plan === null ? PROCEED : this.lookup(request, plan, context);
  }

  /**
   * Whether `serve` may answer the operation from the store: its plan, or null when the operation
   * cache cannot answer it (not a query whose root fields are all cached, or not valid). After
   * the first time for a document, one map lookup.
   *
   * `document` is the request's document as the caller parsed and validated it against the schema
   * (the same object for every request of the same text, as a server that remembers documents
   * has it): the plan is then made from it, once, without parsing or validating again. Without
   * it the cache parses and validates the text itself. Either way, documents longer than 16,384
   * characters are not planned.
   */
  prepare(request: OperationRequest, document?: DocumentNode): PreparedOperation | null {
    const plan = this.planFor(request, document);
    if (!plan) return null;
    const prepared: Prepared<TContext> = { request, plan };
    return prepared;
  }

  private planFor(request: OperationRequest, document: DocumentNode | undefined): Plan<TContext> | null {
    return document ? this.planOfDocument(request, document) : this.planOfText(request);
  }

  /**
   * Identifies a planned operation and looks it up: a hit with the bytes to send; a miss, marked
   * in the request's cache state to fill after execution; or proceed alone when the store cannot
   * answer or the policy refuses (execution then produces the right error).
   */
  private async lookup(request: OperationRequest, plan: Plan<TContext>, context: TContext): Promise<OperationServe> {
    const coerced = getVariableValues(this.schema, plan.variableDefinitions, { ...request.variables });
    if (coerced.errors) return PROCEED;
    const startedAt = this.now();
    let tag: string | null = null;
    const identities: Record<string, Readonly<Record<string, unknown>>> = {};
    for (const field of plan.fields) {
      let identity;
      try {
        identity = await field.cached.policy.identify(getArgumentValues(field.definition, field.node, coerced.coerced), context);
      } catch {
        return PROCEED;
      }
      if (identity.kind !== 'cache' || (tag !== null && identity.scope !== tag)) return PROCEED;
      tag = identity.scope;
      identities[field.responseKey] = identity.args;
    }
    if (tag === null) return PROCEED;
    // Floors not complete: the field cache bypasses the store, and so does this one.
    const floorsKnown = this.fieldCache.floors;
    if (!floorsKnown.isSynced) return PROCEED;
    const scope = tag;
    const facts = plan.kinds.map((k) => factName(k, scope));
    const floors = floorsKnown.floorsOf(facts);
    const keyVariables: Record<string, unknown> = {};
    for (const name of plan.keyVariables) keyVariables[name] = coerced.coerced[name];
    // Every hit of a document asks for the same key again: remembered, not hashed each time.
    const baseKey = this.digests.of(`${plan.documentHash}\n${canonicalJson(keyVariables)}\n${canonicalJson(identities)}\n${tag}`);
    // The root fields' own entries are read in the same round trip: on a miss, execution serves
    // them (a book written through after a write) without asking the store again. Their keys are
    // computed only if the store reads them, or on a miss: a hit does not pay for them.
    let fieldKeys: string[] | undefined;
    const keysOfFields = (): string[] => (fieldKeys ??= plan.fields.map((f) => this.fieldCache.fieldBaseKey(f.cached, identities[f.responseKey]!, scope)));
    const alongside = () => plan.fields.map((f, i) => ({ baseKey: keysOfFields()[i]!, factIndexes: f.factIndexes }));
    // A read whose misses may lead to computing the root fields (single-flight.ts): open until they
    // have acted on what it read (a miss that offers them leaves it in the request's state), so that
    // a result it missed stays joinable meanwhile.
    const read = this.fieldCache.openRead();
    let handedOver = false;
    try {
      let found: LookupBytesOutcome;
      try {
        found = await this.readBytes({ tag, facts, baseKey, floors, ttlSeconds: plan.ttlSeconds, alongside });
      } catch {
        return PROCEED; // a bare adapter that failed: as unavailable
      }
      if (found.kind === 'unavailable') return PROCEED;
      // Below a floor: a store that ignored the floors, whose entry was stored before a commit this
      // process knows of; the fields look up alone. The floors are read again after the round trip:
      // an announcement that arrived meanwhile counts.
      const floorsNow = floorsKnown.floorsOf(facts);
      if (found.generations.some((g, i) => g < floorsNow[i]!)) return PROCEED;
      // The root fields' entries read alongside, on a miss of a store that read them.
      let alongsideRead: readonly (CacheEntry | null)[] | undefined;
      switch (found.kind) {
        case 'hit': {
          const stored = found.entry.bytes;
          // The stored value is `{"data":…}`; anything else was not written here and is refilled.
          if (stored.length > 1 && stored[stored.length - 1] === CLOSING_BRACE) {
            const ageSeconds = Math.max(0, Math.floor((this.now() - found.entry.storedAt) / 1000));
            for (const f of plan.fields) this.hooks.onHit?.({ coordinate: f.cached.coordinate, typeName: f.cached.typeName, ageSeconds });
            // The extensions are spliced in; the data is sent as stored, never decoded.
            const head = stored.subarray(0, stored.length - 1);
            const tail = tailOf(plan, ageSeconds);
            this.onServed?.('hit');
            return { kind: 'hit', chunks: [head, tail], byteLength: head.length + tail.length, entryKey: `${tag}\n${baseKey}`, head, tail };
          }
          break;
        }
        case 'miss': {
          alongsideRead = found.alongside;
          break;
        }
        default:
          return assertNever(found);
      }
      const fieldLookups = new Map<string, LookupResult>();
      // A store that did not read them (RedisStore without local copies, a store without
      // lookupBytes) leaves the fields to look up for themselves.
      if (alongsideRead !== undefined) {
        const generations = found.generations;
        const entries = alongsideRead;
        const keys = keysOfFields();
        plan.fields.forEach((f, i) => {
          fieldLookups.set(keys[i]!, lookupResult(f.factIndexes.map((k) => generations[k]!), entries[i] ?? null));
        });
      }
      // The miss, in the request's cache state (request-state.ts): a holder the context declares,
      // which Apollo's copy of the context shares, so what the plugin writes into it `fill` reads.
      const state = cacheStateOf(context);
      state.pendingFill = { ticket: { tag, baseKey, generations: found.generations, ttlSeconds: plan.ttlSeconds, startedAt }, result: null };
      if (fieldLookups.size > 0) {
        state.offeredLookups = fieldLookups;
        state.offeredRead = read;
        handedOver = true;
      }
      this.onServed?.('miss');
      return PROCEED;
    } finally {
      if (!handedOver) this.fieldCache.closeRead(read);
    }
  }

  /**
   * Notes, for an expected miss, a successful response (data, no errors) that may be stored;
   * `fill` stores it once Apollo has serialized it. Errors are never stored.
   */
  apolloPlugin(): ApolloServerPlugin<TContext> {
    // One listener, for expected misses only: other requests get none, so Apollo has no hook of
    // this plugin to call for them.
    const listener: GraphQLRequestListener<TContext> = {
      willSendResponse: ({ contextValue, response }) => {
        const state = contextValue.cacheState;
        const pending = state?.pendingFill;
        if (!state || !pending) return Promise.resolve();
        // Execution is over: a root field that did not act on its offered lookup never will.
        this.fieldCache.closeRead(state.takeOfferedRead());
        const result = response.body.kind === 'single' ? response.body.singleResult : null;
        if (result && !result.errors?.length && result.data != null) pending.result = result;
        return Promise.resolve();
      },
    };
    const started = Promise.resolve(listener);
    const none = Promise.resolve();
    return { requestDidStart: ({ contextValue }) => (contextValue.cacheState?.pendingFill ? started : none) };
  }

  /**
   * Stores the response of an expected miss the plugin found storable, from `body`, the response
   * as Apollo serialized it: `{"data":…,"extensions":…}` loses its extensions, and the data is not
   * serialized a second time. Not awaited by the response; a failed write is a miss next time.
   * The server calls it with each body it has sent; a no-op for any other request.
   */
  fill(context: TContext, body: string): void {
    const pending = context.cacheState?.pendingFill;
    if (!pending?.result) return;
    const { ticket, result } = pending;
    pending.result = null;
    // Text: Redis takes it as it is, and the in-process store turns it into bytes on its first hit.
    const { tag, baseKey, generations, ttlSeconds, startedAt } = ticket;
    if (!this.firstFill(`${tag}\n${baseKey}\n${generations.join('.')}`)) return;
    const value = dataOnly(body, result);
    this.store.put({ tag, baseKey, generations, ttlSeconds, value, storedAt: startedAt }).catch(() => undefined);
  }

  /** Whether no response of this key and generations was stored in the last FILL_MEMORY_MS. */
  private firstFill(key: string): boolean {
    if (this.recentFills.has(key)) return false;
    this.recentFills.set(key, true);
    return true;
  }

  private planOfDocument(request: OperationRequest, document: DocumentNode): Plan<TContext> | null {
    // As for text: a document this long is answered by execution (its fields are still cached).
    if (request.query.length > MAX_REMEMBERED_QUERY_CHARS) return null;
    const name = planName(request.operationName);
    let byName = this.plansByDocument.get(document);
    const known = byName?.get(name);
    if (known !== undefined) return known;
    const plan = this.makePlan(request, document);
    if (!byName) {
      byName = new Map();
      this.plansByDocument.set(document, byName);
    }
    if (byName.size >= MAX_NAMES_PER_DOCUMENT) byName.clear();
    byName.set(name, plan);
    return plan;
  }

  private planOfText(request: OperationRequest): Plan<TContext> | null {
    // A document this long is not worth a plan; remembering it would let requests fill memory.
    if (request.query.length > MAX_REMEMBERED_QUERY_CHARS) return null;
    const name = planName(request.operationName);
    let byName = this.plans.get(request.query);
    const known = byName?.get(name);
    if (known !== undefined) return known;
    const plan = this.makePlan(request, this.validated(request.query));
    if (!byName) {
      byName = new Map();
      this.plans.set(request.query, byName);
    }
    // A document has few operations; names it does not define (null plans) must not pile up.
    if (byName.size >= MAX_NAMES_PER_DOCUMENT) byName.clear();
    byName.set(name, plan);
    return plan;
  }

  /** The text parsed and validated against the schema; null when it is not a valid document. */
  private validated(query: string): DocumentNode | null {
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch {
      return null;
    }
    return validate(this.schema, document).length > 0 ? null : document;
  }

  /** A plan only for a valid query whose root selections are all plain fields of cached coordinates. */
  private makePlan(request: OperationRequest, document: DocumentNode | null): Plan<TContext> | null {
    if (document === null) return null;
    // The operation execution will run, chosen as graphql-js chooses it ("" names none).
    const operation = getOperationAST(document, request.operationName);
    const queryType = this.schema.getQueryType();
    if (!operation || operation.operation !== OperationTypeNode.QUERY || !queryType) return null;
    const fields: PlannedField<TContext>[] = [];
    for (const selection of operation.selectionSet.selections) {
      // Fragments and @skip/@include at the root would make the shape depend on more than the key.
      if (selection.kind !== Kind.FIELD || (selection.directives?.length ?? 0) > 0) return null;
      const definition = queryType.getFields()[selection.name.value];
      const cached = this.fieldCache.describe(`${queryType.name}.${selection.name.value}`);
      if (!definition || !cached) return null;
      const node = withoutLocations<FieldNode>({ kind: Kind.FIELD, alias: selection.alias, name: selection.name, arguments: selection.arguments });
      fields.push({ responseKey: selection.alias?.value ?? selection.name.value, node, definition, cached, factIndexes: [] });
    }
    if (fields.length === 0) return null;
    const kinds = [...new Set(fields.flatMap((f) => f.cached.dependsOn))].sort();
    return {
      documentHash: createHash('sha256').update(request.operationName ?? '').update('\n').update(request.query).digest('base64url'),
      variableDefinitions: withoutLocations(operation.variableDefinitions ?? []),
      fields: fields.map((f) => ({ ...f, factIndexes: f.cached.dependsOn.map((k) => kinds.indexOf(k)) })),
      kinds,
      keyVariables: variablesBeyondRootArguments(document, operation),
      ttlSeconds: Math.min(...fields.map((f) => f.cached.ttlSeconds)),
      lastTail: null,
    };
  }
}

/** lookupBytes for a store without the capability: its lookup, the value encoded; nothing read alongside. */
async function lookupAsBytes(store: CacheStore, request: LookupBytesRequest): Promise<LookupBytesOutcome> {
  const found = await store.lookup(request);
  switch (found.kind) {
    case 'hit':
      return { kind: 'hit', generations: found.generations, entry: { bytes: Buffer.from(found.entry.value, 'utf8'), storedAt: found.entry.storedAt } };
    case 'miss':
    case 'unavailable':
      return found;
    default:
      return assertNever(found);
  }
}

/**
 * `,"extensions":{"cache":[…]}}` and a newline (the framing of Apollo's own responses) of a hit of
 * `plan` whose entry is `ageSeconds` old.
 */
function tailOf(plan: Plan<unknown>, ageSeconds: number): Buffer {
  const last = plan.lastTail;
  if (last !== null && last.ageSeconds === ageSeconds) return last.bytes;
  const reports: FieldReport[] = plan.fields.map((f) => ({
    path: f.responseKey,
    coordinate: f.cached.coordinate,
    typeName: f.cached.typeName,
    status: 'hit',
    ageSeconds,
    ttlSeconds: f.cached.ttlSeconds,
  }));
  const bytes = Buffer.from(`,"extensions":{"cache":${JSON.stringify(reports)}}}\n`, 'utf8');
  plan.lastTail = { ageSeconds, bytes };
  return bytes;
}

/**
 * A copy of syntax nodes without their locations, for a plan that outlives the request: a
 * location links to the document's tokens, hence to the whole document.
 */
function withoutLocations<T>(nodes: T): T {
  return JSON.parse(JSON.stringify(nodes, (key, value: unknown) => (key === 'loc' ? undefined : value))) as T;
}

/** Names of the variables used in the document other than as arguments of the operation's root fields. */
function variablesBeyondRootArguments(document: DocumentNode, operation: OperationDefinitionNode): string[] {
  const names = new Set<string>();
  const collect = (node: ASTNode): void => {
    visit(node, {
      Variable(variable) {
        names.add(variable.name.value);
      },
    });
  };
  for (const selection of operation.selectionSet.selections) {
    // Root selections are plain fields without directives (makePlan refuses anything else).
    if (selection.kind === Kind.FIELD && selection.selectionSet) collect(selection.selectionSet);
  }
  // Every fragment of the document, used or not: more key than needed is harmless, less is not.
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) collect(definition.selectionSet);
  }
  return [...names].sort();
}
