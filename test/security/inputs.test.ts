import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import {
  isEnumType, isInputObjectType, isListType, isNonNullType, Kind, print, typeFromAST, visit,
  type ConstValueNode, type DocumentNode, type GraphQLInputType, type GraphQLSchema, type ValueNode,
} from 'graphql';
import {
  AttributionDocument, BookDocument, GenerateMorningPackDocument, JournalDocument, MarkToMarketDocument, OpenPositionDocument,
  PositionsDocument, RecordOutcomeDocument, type OpenPositionInput,
} from '../../client/generated/graphql';
import { findPortfolioByRef } from '../../src/data/portfolio.repository';
import type { Portfolio } from '../../src/domain/types';
import { dataOf, seedFund, type SeededFund } from '../e2e/harness';
import { fixedClock } from '../support/clock';
import { testDb } from '../support/db';
import { DEMO_AS_OF, DEMO_NOW } from '../support/demo';
import { actor, countRows, uid } from '../support/factories';
import { startTestGateway, type TestGateway } from '../support/gateway';

/**
 * Hostile input, one row per class (the "Bad input" findings of issue 13), each sent twice: as a
 * variable of the generated client document, and written into the same document as a literal.
 * Both must answer alike: BAD_USER_INPUT, the field at fault, the same message, no stack and no id
 * the caller did not send, and nothing written (a refused write with an idempotency key stores no
 * key either: nothing was hashed and kept).
 */

const db = testDb();
let gateway: TestGateway;
let fund: SeededFund;
let portfolio: Portfolio;
let openPositionId: string;
const ADMIN_ID = 'security.inputs.admin';
const VIEWER_ID = 'security.inputs.viewer';

beforeAll(async () => {
  fund = await seedFund(db, 'SEC_IN');
  portfolio = (await findPortfolioByRef(db, fund.code))!;
  gateway = await startTestGateway(db, fixedClock(DEMO_NOW));
  const { positions } = dataOf(await gateway.execute(PositionsDocument, { portfolioId: fund.code }, token('ADMIN')));
  openPositionId = positions[0]!.id;
}, 30_000);

afterAll(async () => {
  await gateway.stop();
  await db.destroy();
});

function token(role: 'ADMIN' | 'VIEWER'): string {
  return role === 'ADMIN' ? gateway.token(actor('ADMIN', [fund.code], ADMIN_ID)) : gateway.token(actor('VIEWER', [fund.code], VIEWER_ID));
}

// ---------------------------------------------------------------------------------------------
// Requests: a generated document with variables, or the same document with the values inlined.

/** JSON text spliced verbatim into the variables: a value too deep for JSON.stringify to write. */
class RawJson {
  constructor(readonly text: string) {}
}

/** JSON.stringify, except that RawJson is written as it is. */
function toJsonText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A JSON value as an untyped literal (the inside of a JSONObject). */
function jsonLiteral(value: unknown): ConstValueNode {
  if (value === null) return { kind: Kind.NULL };
  if (Array.isArray(value)) return { kind: Kind.LIST, values: value.map(jsonLiteral) };
  if (typeof value === 'object') {
    return {
      kind: Kind.OBJECT,
      fields: Object.entries(value).map(([k, v]) => ({ kind: Kind.OBJECT_FIELD, name: { kind: Kind.NAME, value: k }, value: jsonLiteral(v) })),
    };
  }
  if (typeof value === 'number') return { kind: Number.isInteger(value) ? Kind.INT : Kind.FLOAT, value: String(value) };
  if (typeof value === 'boolean') return { kind: Kind.BOOLEAN, value };
  return { kind: Kind.STRING, value: typeof value === 'string' ? value : JSON.stringify(value) };
}

/** A value as the literal of its input type: enums as names, everything else as JSON has it. */
function literalOf(value: unknown, type: GraphQLInputType): ConstValueNode {
  if (isNonNullType(type)) return literalOf(value, type.ofType);
  if (value === null) return { kind: Kind.NULL };
  if (isListType(type) && Array.isArray(value)) return { kind: Kind.LIST, values: value.map((v) => literalOf(v, type.ofType)) };
  if (isInputObjectType(type) && typeof value === 'object') {
    const fields = type.getFields();
    return {
      kind: Kind.OBJECT,
      fields: Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => ({ kind: Kind.OBJECT_FIELD, name: { kind: Kind.NAME, value: k }, value: literalOf(v, fields[k]!.type) })),
    };
  }
  if (isEnumType(type) && typeof value === 'string') return { kind: Kind.ENUM, value };
  return jsonLiteral(value);
}

/** The document with each variable replaced by its value as a literal (unset ones dropped). */
function inline(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>): string {
  const types = new Map<string, GraphQLInputType>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    for (const v of definition.variableDefinitions ?? []) types.set(v.variable.name.value, typeFromAST(schema, v.type as never) as GraphQLInputType);
  }
  return print(visit(document, {
    OperationDefinition: (node) => ({ ...node, variableDefinitions: [] }),
    Argument(node) {
      if (node.value.kind !== Kind.VARIABLE) return undefined;
      const value = variables[node.value.name.value];
      if (value === undefined) return null;
      return { ...node, value: literalOf(value, types.get(node.value.name.value)!) as ValueNode };
    },
  }));
}

type Form = 'variable' | 'literal';

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly body: { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  readonly requestText: string;
}

async function send<V extends Record<string, unknown>>(
  document: TypedDocumentNode<unknown, V>,
  variables: Record<string, unknown>,
  form: Form,
  bearer: string,
  literalVariables: Record<string, unknown> = variables,
): Promise<Answer> {
  const requestText = form === 'variable'
    ? `{"query":${JSON.stringify(print(document))},"variables":${toJsonText(variables)}}`
    : JSON.stringify({ query: inline(gateway.gateway.schema, document, literalVariables) });
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: requestText,
  });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) as Answer['body'], requestText };
}

// ---------------------------------------------------------------------------------------------
// The table.

function openInput(overrides: Partial<Record<keyof OpenPositionInput, unknown>>): Record<string, unknown> {
  return {
    portfolioId: fund.code,
    ticker: 'IBOV_FUT',
    direction: 'LONG',
    notionalBrl: '100000',
    entryPrice: '130000',
    entryFxRate: '5',
    thesis: 'Input bounds check',
    // A key on every write: a refused one must not leave it claimed (nothing hashed and kept).
    idempotencyKey: `inputs-${uid(8)}`,
    ...overrides,
  };
}

interface Row {
  /** The class of bad input. */
  readonly name: string;
  readonly field: string;
  readonly message: string | (() => string);
  readonly role?: 'ADMIN' | 'VIEWER';
  /** The request, per form (a value may differ by form only where the literal could not be parsed at all). */
  readonly request: (form: Form) => { document: TypedDocumentNode<unknown, never>; variables: Record<string, unknown>; literal?: Record<string, unknown> };
}

const open = (overrides: Partial<Record<keyof OpenPositionInput, unknown>>) => () => ({
  document: OpenPositionDocument as TypedDocumentNode<unknown, never>,
  variables: { input: openInput(overrides) },
});

const DATE_MESSAGE = 'Date must be an ISO calendar date YYYY-MM-DD between 1900-01-01 and 2100-12-31 (got "0000-01-01")';

const deepJson = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const deepObject = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i += 1) value = { a: value };
  return value;
};

const ROWS: readonly Row[] = [
  { name: 'a decimal beyond the scale of its column', field: 'notionalBrl', message: 'notionalBrl may have at most 2 decimal places', request: open({ notionalBrl: '0.001' }) },
  { name: 'a decimal beyond the precision of its column', field: 'notionalBrl', message: 'notionalBrl may have at most 18 digits before the decimal point', request: open({ notionalBrl: '100000000000000000000' }) },
  { name: 'a price beyond the scale of its column', field: 'entryPrice', message: 'entryPrice may have at most 8 decimal places', request: open({ entryPrice: '0.000000001' }) },
  { name: 'a price beyond the precision of its column', field: 'entryPrice', message: 'entryPrice may have at most 16 digits before the decimal point', request: open({ entryPrice: '100000000000000000' }) },
  { name: 'a decimal of 5,000 digits', field: 'entryPrice', message: 'Decimal must have at most 40 characters', request: open({ entryPrice: `1${'0'.repeat(4_999)}` }) },
  { name: 'a decimal in exponent notation', field: 'notionalBrl', message: 'Decimal must be a decimal string such as "1234.56" (got "1e20")', request: open({ notionalBrl: '1e20' }) },
  { name: 'a decimal sent as a float', field: 'notionalBrl', message: 'Decimal must be a decimal string such as "1234.56" (got 1.5)', request: open({ notionalBrl: 1.5 }) },
  { name: 'a date in year 0000 (entryDate)', field: 'entryDate', message: DATE_MESSAGE, request: open({ entryDate: '0000-01-01' }) },
  {
    name: 'a date in year 0000 (asOf of a cached read)', field: 'asOf', message: DATE_MESSAGE,
    request: () => ({ document: BookDocument, variables: { portfolioId: fund.code, asOf: '0000-01-01' } }),
  },
  {
    name: 'a date in year 0000 (date of a write)', field: 'date', message: DATE_MESSAGE,
    request: () => ({ document: GenerateMorningPackDocument, variables: { input: { portfolioId: fund.code, date: '0000-01-01', force: true } } }),
  },
  {
    name: 'a date in year 0000 (from of a CUSTOM attribution)', field: 'from', message: DATE_MESSAGE,
    request: () => ({ document: AttributionDocument, variables: { portfolioId: fund.code, period: 'CUSTOM', from: '0000-01-01', to: DEMO_AS_OF } }),
  },
  {
    name: 'a timestamp in year 0000', field: 'from', message: 'from must be between 1900-01-01 and 2100-12-31',
    request: () => ({ document: JournalDocument, variables: { portfolioId: fund.code, from: '0000-01-01T00:00:00Z' } }),
  },
  {
    name: 'a CUSTOM attribution range of more than ten years before inception', field: 'from',
    message: () => `A CUSTOM period spans at most 10 years unless it starts on or after the portfolio's inception (${portfolio.inceptionDate})`,
    request: () => ({ document: AttributionDocument, variables: { portfolioId: fund.code, period: 'CUSTOM', from: '1900-01-01', to: DEMO_AS_OF } }),
  },
  {
    name: "a NUL byte in a VIEWER's cached read (portfolioId)", field: 'portfolioId', message: 'portfolioId must not contain NUL characters', role: 'VIEWER',
    request: () => ({ document: BookDocument, variables: { portfolioId: 'A\u0000' } }),
  },
  { name: 'a NUL byte in free text', field: 'thesis', message: 'thesis must not contain NUL characters', request: open({ thesis: 'Input\u0000bounds' }) },
  { name: 'a NUL byte in an item of a list', field: 'strategyIds[1]', message: 'strategyIds[1] must not contain NUL characters', request: open({ strategyIds: ['RATES_BR_01', 'A\u0000'] }) },
  { name: 'free text beyond its maximum length', field: 'thesis', message: 'thesis must have at most 4000 characters', request: open({ thesis: 'x'.repeat(10_000) }) },
  {
    name: 'notes beyond their maximum length', field: 'notes', message: 'notes must have at most 4000 characters',
    request: () => ({ document: RecordOutcomeDocument, variables: { input: { positionId: openPositionId, notes: 'n'.repeat(4_001), idempotencyKey: `inputs-${uid(8)}` } } }),
  },
  { name: 'a list beyond its maximum length', field: 'strategyIds', message: 'strategyIds may hold at most 20 items', request: open({ strategyIds: Array.from({ length: 100 }, (_, i) => `S${i}`) }) },
  {
    name: 'JSON nested 5,000 deep (50 as a literal)', field: 'strategyWeights', message: 'JSONObject may nest objects and lists at most 5 levels deep',
    request: (form) => ({
      document: OpenPositionDocument,
      variables: { input: openInput({ strategyWeights: new RawJson(deepJson(5_000)) }) },
      literal: form === 'literal' ? { input: openInput({ strategyWeights: deepObject(50) }) } : undefined,
    }),
  },
  { name: 'JSON of the wrong shape', field: 'strategyWeights.RATES_BR_01', message: 'strategyWeights.RATES_BR_01 must be a number', request: open({ strategyIds: ['RATES_BR_01'], strategyWeights: { RATES_BR_01: { x: 1 } } }) },
  { name: 'a negative quantity', field: 'quantity', message: 'quantity must be greater than 0', request: open({ quantity: '-5' }) },
  { name: 'a zero quantity', field: 'quantity', message: 'quantity must be greater than 0', request: open({ quantity: '0' }) },
  { name: 'negative business days', field: 'businessDays', message: 'businessDays must be 0 or more', request: open({ businessDays: -100 }) },
  { name: 'an Int of the wrong type', field: 'businessDays', message: 'Int cannot represent non-integer value: "x"', request: open({ businessDays: 'x' }) },
  {
    name: 'a price beyond its scale in a list of inputs', field: 'prices[0].price', message: 'prices[0].price may have at most 8 decimal places',
    request: () => ({ document: MarkToMarketDocument, variables: { input: { portfolioId: fund.code, prices: [{ ticker: 'IBOV_FUT', price: '1.123456789' }], idempotencyKey: `inputs-${uid(8)}` } } }),
  },
  {
    name: 'a negative price in a list of inputs', field: 'prices[0].price', message: 'prices[0].price must be greater than 0',
    request: () => ({ document: MarkToMarketDocument, variables: { input: { portfolioId: fund.code, prices: [{ ticker: 'IBOV_FUT', price: '-1' }], idempotencyKey: `inputs-${uid(8)}` } } }),
  },
];

/** What a refused request must leave as it was: the fund's rows, and the caller's idempotency keys. */
async function footprint(): Promise<Record<string, number>> {
  const tables = ['positions', 'trade_proposals', 'journal_entries', 'pnl_snapshots', 'morning_packs', 'risk_snapshots'] as const;
  const counts = await Promise.all(tables.map((t) => countRows(db, t, { portfolio_id: fund.id })));
  const keys = await countRows(db, 'idempotency_keys', { actor: ADMIN_ID });
  return { ...Object.fromEntries(tables.map((t, i) => [t, counts[i]!])), idempotency_keys: keys };
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

function expectRefused(answer: Answer, row: Row): void {
  const message = typeof row.message === 'function' ? row.message() : row.message;
  expect(answer.body.errors?.map((e) => ({ code: e.extensions?.code, field: e.extensions?.field, message: e.message })))
    .toEqual([{ code: 'BAD_USER_INPUT', field: row.field, message }]);
  expect(answer.body.data ?? null).toBeNull();
  // Nothing of the server's insides: no stack, no id the caller did not send.
  expect(answer.text).not.toMatch(/stacktrace|\n\s+at |\.ts:\d+/);
  const sent = new Set((answer.requestText.match(UUID) ?? []).map((u) => u.toLowerCase()));
  expect((answer.text.match(UUID) ?? []).filter((u) => !sent.has(u.toLowerCase()))).toEqual([]);
}

describe('hostile input is refused with BAD_USER_INPUT and its field, as a variable and as a literal alike', () => {
  it.each(ROWS.map((row) => [row.name, row] as const))('%s', async (_, row) => {
    const answers: Answer[] = [];
    for (const form of ['variable', 'literal'] as const) {
      const before = await footprint();
      const request = row.request(form);
      const answer = await send(request.document, request.variables, form, token(row.role ?? 'ADMIN'), request.literal ?? request.variables);
      expectRefused(answer, row);
      expect(await footprint()).toEqual(before);
      answers.push(answer);
    }
    // Alike: the same status, and a literal's answer names the same field with the same message.
    const [variable, literal] = answers as [Answer, Answer];
    expect(literal.status).toBe(variable.status);
    expect(literal.body.errors?.[0]?.extensions).toEqual(variable.body.errors?.[0]?.extensions);
    expect(literal.body.errors?.[0]?.message).toBe(variable.body.errors?.[0]?.message);
  });

  it('accepts values at the bounds: the most digits a column holds, 4,000 characters, 20 strategies, business days 0', async () => {
    const strategies = Array.from({ length: 20 }, (_, i) => `S${String(i).padStart(2, '0')}`);
    const response = await gateway.execute(OpenPositionDocument, {
      input: {
        ...(openInput({}) as unknown as OpenPositionInput),
        notionalBrl: '1234.56',
        entryPrice: '130000.12345678',
        quantity: '0.00000001',
        businessDays: 0,
        thesis: 't'.repeat(4_000),
        strategyIds: strategies,
        strategyWeights: Object.fromEntries(strategies.map((s) => [s, 1])),
      },
    }, token('ADMIN'));
    const { openPosition } = dataOf(response);
    expect(openPosition.entryPrice).toBe('130000.12345678');
    expect(openPosition.strategyIds).toHaveLength(20);
  });
});
