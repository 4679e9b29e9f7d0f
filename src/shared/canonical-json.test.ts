import Decimal from 'decimal.js';
import { canonicalJson, CanonicalJsonError } from './canonical-json';

class Input {
  constructor(
    readonly b: number,
    readonly a: string,
  ) {}

  describe(): string {
    return `${this.a}${this.b}`;
  }
}

describe('canonicalJson', () => {
  it('sorts object keys at every depth, with no whitespace, and leaves out undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: undefined } })).toBe('{"a":{"d":[2,{"e":0,"f":1}]},"b":1}');
    expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1 }));
    // UTF-16 code unit order: upper case before lower case, the empty key first.
    expect(canonicalJson({ b: 1, B: 2, '': 3, a1: 4, é: 5 })).toBe('{"":3,"B":2,"a1":4,"b":1,"é":5}');
  });

  it('writes strings, numbers, booleans and null as JSON does', () => {
    expect(canonicalJson(['x "q" \n', 0, -0, 1.5, 1e300, true, false, null])).toBe('["x \\"q\\" \\n",0,0,1.5,1e+300,true,false,null]');
    expect(canonicalJson('s')).toBe('"s"');
    expect(canonicalJson(null)).toBe('null');
  });

  it('encodes a class instance by its own fields, not its methods', () => {
    expect(canonicalJson(new Input(2, 'x'))).toBe('{"a":"x","b":2}');
    expect(canonicalJson(Object.assign(Object.create(null) as object, { b: 1, a: 2 }))).toBe('{"a":2,"b":1}');
  });

  it('encodes a Date as its ISO string, so two dates never share a text', () => {
    expect(canonicalJson({ t: new Date('2026-01-02T03:04:05.000Z') })).toBe('{"t":"2026-01-02T03:04:05.000Z"}');
    expect(canonicalJson(new Date('2026-01-02'))).not.toBe(canonicalJson(new Date('2026-01-03')));
  });

  it('encodes a Decimal as its canonical string, from any decimal.js clone', () => {
    const D40 = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_EVEN });
    expect(canonicalJson({ n: new Decimal('1.50') })).toBe('{"n":"1.5"}');
    expect(canonicalJson(new D40('1.50'))).toBe(canonicalJson(new Decimal('1.5')));
    expect(canonicalJson(new Decimal('2.5'))).not.toBe(canonicalJson(new Decimal('2.50000001')));
    // decimal.js's toJSON form, exponent notation included: what the journal has always hashed.
    expect(canonicalJson([new D40('0.00000001'), new D40('1e21'), new D40('-2.5'), new D40('0')])).toBe('["1e-8","1e+21","-2.5","0"]');
  });

  it('encodes another object with toJSON as the canonical JSON of what it returns', () => {
    expect(canonicalJson({ v: { toJSON: () => ({ z: 1, y: [new Date(0)] }) } })).toBe('{"v":{"y":["1970-01-01T00:00:00.000Z"],"z":1}}');
  });

  it('gives the journal the text it has always hashed', () => {
    const entry = {
      portfolioId: 'p', type: 'OPEN', positionId: null, notionalBrl: '1000000.00', price: '98.12345678',
      managerNotes: 'x "q" é \n', actor: 'a', createdAt: '2026-01-02T03:04:05.123Z',
    };
    expect(canonicalJson(entry)).toBe(
      '{"actor":"a","createdAt":"2026-01-02T03:04:05.123Z","managerNotes":"x \\"q\\" é \\n","notionalBrl":"1000000.00",' +
        '"portfolioId":"p","positionId":null,"price":"98.12345678","type":"OPEN"}',
    );
  });

  it.each([
    ['undefined on its own', undefined, 'undefined at $'],
    ['undefined in an array', { list: [1, undefined] }, 'undefined at $.list[1]'],
    ['a function', { f: () => 1 }, 'a function at $.f'],
    ['a symbol', [Symbol('s')], 'a symbol at $[0]'],
    ['a bigint', { 'big one': 1n }, 'a bigint at $["big one"]'],
    ['NaN', { x: { y: NaN } }, 'the number NaN at $.x.y'],
    ['Infinity', [-Infinity], 'the number -Infinity at $[0]'],
    ['a non-finite Decimal', { p: new Decimal(NaN) }, 'the decimal NaN at $.p'],
    ['an invalid Date', { t: new Date('not a date') }, 'an invalid Date at $.t'],
    ['a Map', { m: new Map([['a', 1]]) }, 'an object of type Map at $.m'],
    ['a Set', { s: new Set([1]) }, 'an object of type Set at $.s'],
    ['a RegExp', [/x/], 'an object of type RegExp at $[0]'],
    ['a typed array', { bytes: new Uint16Array(2) }, 'an object of type Uint16Array at $.bytes'],
    ['an Error', { e: new Error('boom') }, 'an object of type Error at $.e'],
  ])('refuses %s, naming where it is', (_what, value, message) => {
    expect(() => canonicalJson(value)).toThrow(CanonicalJsonError);
    expect(() => canonicalJson(value)).toThrow(`canonicalJson cannot encode ${message}`);
  });

  it('refuses a cycle, but not the same object twice side by side', () => {
    const loop: Record<string, unknown> = { a: 1 };
    loop.self = { back: loop };
    expect(() => canonicalJson(loop)).toThrow('canonicalJson cannot encode a cycle at $.self.back');
    const shared = { n: 1 };
    expect(canonicalJson({ a: shared, b: [shared] })).toBe('{"a":{"n":1},"b":[{"n":1}]}');
  });
});
