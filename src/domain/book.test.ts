import { computeBook, exposureOf } from './book';
import { dec, ZERO } from './decimal';
import { InvalidInput } from './errors';
import { makeDailyPnl, makePortfolio, makePosition } from './test-factories';

const asOf = '2026-11-27';

function fixture() {
  const portfolio = makePortfolio({ aumBrl: dec(100_000_000) });
  const openPositions = [
    makePosition({
      ticker: 'DI1F27',
      assetClass: 'RATES',
      direction: 'LONG',
      notionalBrl: dec(50_000_000),
      unrealizedPnlBrl: dec('120000.50'),
      unrealizedPnlUsd: dec('24000.10'),
    }),
    makePosition({
      ticker: 'USDBRL',
      assetClass: 'FX',
      direction: 'SHORT',
      notionalBrl: dec(20_000_000),
      unrealizedPnlBrl: dec(-30_000),
      unrealizedPnlUsd: dec(-6_000),
    }),
    makePosition({
      ticker: 'IBOV_FUT',
      assetClass: 'EQUITY',
      direction: 'LONG',
      notionalBrl: dec(10_000_000),
      unrealizedPnlBrl: dec(5_000),
      unrealizedPnlUsd: dec(1_000),
    }),
    makePosition({
      ticker: 'DI1F28',
      assetClass: 'RATES',
      direction: 'SHORT',
      notionalBrl: dec(5_000_000),
      unrealizedPnlBrl: dec('-0.50'),
      unrealizedPnlUsd: dec('-0.10'),
    }),
  ];
  const closedPositions = [
    makePosition({ isOpen: false, closedAt: asOf, realizedPnlBrl: dec(10_000), realizedPnlUsd: dec(2_000) }),
    makePosition({
      isOpen: false,
      closedAt: '2026-11-20',
      realizedPnlBrl: dec('-2500.25'),
      realizedPnlUsd: dec('-500.05'),
    }),
  ];
  const dailyPnl = makeDailyPnl([
    ['2025-12-31', 1_000], // last year: outside YTD
    ['2026-01-15', 200],
    ['2026-10-30', 300],
    ['2026-11-02', 400],
    ['2026-11-27', 50],
    ['2026-11-27', 25], // a second entry on the same date adds up
    ['2026-11-30', 9_999], // after asOf: must not leak into any window
  ]);
  return { portfolio, openPositions, closedPositions, dailyPnl };
}

describe('computeBook', () => {
  it('sums gross exposure as Σ|notional| and net exposure with SHORTs negative', () => {
    const book = computeBook({ ...fixture(), asOf });
    // gross = 50M + 20M + 10M + 5M = 85M; net = 50M − 20M + 10M − 5M = 35M
    expect(book.summary.grossExposureBrl.toFixed()).toBe('85000000');
    expect(book.summary.netExposureBrl.toFixed()).toBe('35000000');
    // leverage on AUM 100M: 85M / 100M = 0.85, 35M / 100M = 0.35
    expect(book.summary.grossLeverage).toBe(0.85);
    expect(book.summary.netLeverage).toBe(0.35);
    expect(book.summary.openPositions).toBe(4);
  });

  it('reports a negative net leverage for a net short book', () => {
    const f = fixture();
    const shortOnly = f.openPositions.filter((p) => p.direction === 'SHORT');
    const book = computeBook({ ...f, openPositions: shortOnly, asOf });
    // net = −20M − 5M = −25M → −0.25× AUM
    expect(book.summary.netLeverage).toBe(-0.25);
  });

  it('totals unrealized P&L over open positions and realized P&L over closed ones', () => {
    const book = computeBook({ ...fixture(), asOf });
    // unrealized BRL 120000.50 − 30000 + 5000 − 0.50 = 95000; USD 24000.10 − 6000 + 1000 − 0.10 = 19000
    expect(book.summary.unrealizedPnlBrl.toFixed()).toBe('95000');
    expect(book.summary.unrealizedPnlUsd.toFixed()).toBe('19000');
    // realized BRL 10000 − 2500.25 = 7499.75; USD 2000 − 500.05 = 1499.95
    expect(book.summary.realizedPnlBrl.toFixed()).toBe('7499.75');
    expect(book.summary.realizedPnlUsd.toFixed()).toBe('1499.95');
  });

  it('bounds P&L today, MTD and YTD by asOf, ignoring P&L after it', () => {
    const book = computeBook({ ...fixture(), asOf });
    // today: 50 + 25 = 75; MTD: 400 + 75 = 475; YTD: 200 + 300 + 400 + 75 = 975 (not the 9999 of the 30th)
    expect(book.summary.pnlTodayBrl.toFixed()).toBe('75');
    expect(book.summary.pnlMtdBrl.toFixed()).toBe('475');
    expect(book.summary.pnlYtdBrl.toFixed()).toBe('975');
  });

  it('counts only positions closed on asOf itself as closed today', () => {
    expect(computeBook({ ...fixture(), asOf }).summary.closedToday).toBe(1);
  });

  it('groups exposure by asset class in ASSET_CLASSES order, listing only classes present', () => {
    const book = computeBook({ ...fixture(), asOf });
    expect(
      book.byAssetClass.map((r) => [r.assetClass, r.count, r.grossNotionalBrl.toFixed(), r.unrealizedPnlBrl.toFixed()]),
    ).toEqual([
      // RATES: 50M + 5M gross (a SHORT adds to gross), 120000.50 − 0.50 unrealized
      ['RATES', 2, '55000000', '120000'],
      ['FX', 1, '20000000', '-30000'],
      ['EQUITY', 1, '10000000', '5000'],
    ]);
  });

  it('gives an empty book zero exposure and no asset-class rows', () => {
    const book = computeBook({ ...fixture(), openPositions: [], closedPositions: [], dailyPnl: [], asOf });
    expect(book.summary.grossExposureBrl.eq(ZERO)).toBe(true);
    expect(book.summary.grossLeverage).toBe(0);
    expect(book.byAssetClass).toEqual([]);
    expect(book.summary.pnlYtdBrl.eq(ZERO)).toBe(true);
  });

  it('refuses a portfolio without positive AUM instead of reporting infinite leverage', () => {
    const f = fixture();
    expect(() => computeBook({ ...f, portfolio: makePortfolio({ aumBrl: ZERO }), asOf })).toThrow(InvalidInput);
  });
});

describe('exposureOf', () => {
  it('splits exposure into longs and shorts, shorts as a positive amount', () => {
    const e = exposureOf([
      makePosition({ direction: 'LONG', notionalBrl: dec(3) }),
      makePosition({ direction: 'SHORT', notionalBrl: dec(5) }),
    ]);
    // long 3, short 5, gross 8, net 3 − 5 = −2
    expect([e.longBrl, e.shortBrl, e.grossBrl, e.netBrl].map((d) => d.toNumber())).toEqual([3, 5, 8, -2]);
  });
});
