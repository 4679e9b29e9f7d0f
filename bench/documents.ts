// The GraphQL requests the benchmark sends: the client's own generated documents (Book,
// Attribution, RiskLive from client/operations/analytics.graphql; the desk scenario's writes
// OpenPosition, ClosePosition, MarkToMarket from client/operations/positions.graphql) printed back
// to text, plus a trivial `{ __typename }` query that measures the fixed overhead of one request.
import { print } from 'graphql';
import {
  AttributionDocument, BookDocument, ClosePositionDocument, MarkToMarketDocument, OpenPositionDocument, RiskLiveDocument,
} from '../client/generated/graphql';

/** The client's own operation documents (client/generated), printed back to query text. */
export const BOOK_QUERY = print(BookDocument);
export const ATTRIBUTION_QUERY = print(AttributionDocument);
export const RISK_LIVE_QUERY = print(RiskLiveDocument);
export const TRIVIAL_QUERY = 'query Trivial { __typename }';
const MUTATIONS = {
  openPosition: { operationName: 'OpenPosition', query: print(OpenPositionDocument) },
  closePosition: { operationName: 'ClosePosition', query: print(ClosePositionDocument) },
  markToMarket: { operationName: 'MarkToMarket', query: print(MarkToMarketDocument) },
} as const;

/** The attribution period the benchmark reads: the whole history, so a computation is real work. */
export const ATTRIBUTION_PERIOD = 'INCEPTION';

export function bookBody(portfolioId: string): string {
  return JSON.stringify({ operationName: 'Book', query: BOOK_QUERY, variables: { portfolioId } });
}

export function attributionBody(portfolioId: string): string {
  return JSON.stringify({ operationName: 'Attribution', query: ATTRIBUTION_QUERY, variables: { portfolioId, period: ATTRIBUTION_PERIOD } });
}

export function riskLiveBody(portfolioId: string): string {
  return JSON.stringify({ operationName: 'RiskLive', query: RISK_LIVE_QUERY, variables: { portfolioId } });
}

export function trivialBody(): string {
  return JSON.stringify({ operationName: 'Trivial', query: TRIVIAL_QUERY });
}


/** A write of the desk scenario: the client's mutation document with its `input`. */
export function mutationBody(op: keyof typeof MUTATIONS, input: Readonly<Record<string, unknown>>): string {
  return JSON.stringify({ ...MUTATIONS[op], variables: { input } });
}
