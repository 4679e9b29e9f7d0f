import { dataOnly } from './operation-cache';

/** A response body as Apollo Server serializes it: errors, data, extensions in that order, then a newline. */
const apolloBody = (result: { data?: unknown; extensions?: Record<string, unknown> }): string =>
  `${JSON.stringify({ errors: undefined, data: result.data, extensions: result.extensions })}\n`;

describe('dataOnly (what the operation cache stores of a serialized response)', () => {
  const data = { book: { positions: [{ id: 'p1', pnl: '1.50' }], note: 'a "quoted" },"extensions":{ text' } };
  const extensions = { cache: [{ path: 'book', status: 'miss', ttlSeconds: 30 }] };

  it('cuts the extensions off the body as serialized, without serializing the data again', () => {
    const body = apolloBody({ data, extensions });
    expect(dataOnly(body, { data, extensions })).toBe(JSON.stringify({ data }));
    // The data is taken from the body, not from the result: a different object proves it.
    expect(dataOnly(body, { data: { other: true }, extensions })).toBe(JSON.stringify({ data }));
  });

  it('takes a body without extensions, or without the final newline, as it is', () => {
    expect(dataOnly(apolloBody({ data }), { data })).toBe(JSON.stringify({ data }));
    expect(dataOnly(JSON.stringify({ data, extensions }), { data, extensions })).toBe(JSON.stringify({ data }));
  });

  it('serializes the data itself when the body is not what it expects', () => {
    // The result's data differs from the body's: the answer shows which one was used.
    const own = { own: 'data' };
    const result = { data: own, extensions };
    const expected = JSON.stringify({ data: own });
    expect(dataOnly(apolloBody({ data, extensions: { cache: [] } }), result)).toBe(expected);
    expect(dataOnly(`{"errors":[],${apolloBody({ data, extensions }).slice(1)}`, result)).toBe(expected);
    expect(dataOnly('', result)).toBe(expected);
  });
});
