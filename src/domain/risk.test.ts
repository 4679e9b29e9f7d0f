import { businessDaysBetween } from './dates';
import { dec, sum } from './decimal';
import { puFromRate } from './pricing';
import { InvalidInput } from './errors';
import type { RiskInput } from './risk';
import { computeRiskLive, DEFAULT_RISK_LIMITS, shockPnl, STRESS_SCENARIOS, toRiskSnapshot } from './risk';
import { businessDates, makeDailyPnl, makePosition } from './test-factories';
import type { DailyPnl, Position } from './types';

const asOf = '2026-11-27';
const AUM = dec(100_000_000);

function riskOf(overrides: Partial<RiskInput> = {}) {
  return computeRiskLive({
    portfolioId: 'portfolio-1',
    asOf,
    aumBrl: AUM,
    dailyPnl: [],
    positions: [],
    limits: DEFAULT_RISK_LIMITS,
    ...overrides,
  });
}

/** A daily series ending on or before asOf, one business day per value (BRL). */
function series(values: readonly number[]): DailyPnl[] {
  const dates = businessDates('2026-09-01', values.length);
  return makeDailyPnl(values.map((v, i) => [dates[i] ?? asOf, v] as const));
}

function check(risk: ReturnType<typeof riskOf>, name: string) {
  const found = risk.limits.find((c) => c.check === name);
  if (found === undefined) throw new Error(`no ${name} check`);
  return found;
}

describe('computeRiskLive: VaR', () => {
  it('withholds every VaR figure below 20 observations and says why', () => {
    const risk = riskOf({ dailyPnl: series(Array<number>(19).fill(100_000)) });
    expect(risk.var).toMatchObject({
      observations: 19,
      parametric95Pct: null,
      parametric99Pct: null,
      historical95Pct: null,
      historical99Pct: null,
      cvar95Pct: null,
      cvar99Pct: null,
    });
    expect(risk.var.unavailableReason).toContain('at least 20');
    expect(risk.var.unavailableReason).toContain('19 available');
  });

  it('estimates parametric, historical VaR and CVaR from returns on AUM, ignoring P&L after asOf', () => {
    // Returns in %: −3, −2, −1.5 and 37 × +0.5 (P&L / 100M AUM), shuffled, plus a day after asOf.
    const values = [500_000, -2_000_000, ...Array<number>(35).fill(500_000), -3_000_000, 500_000, -1_500_000];
    const dailyPnl = [...series(values), ...makeDailyPnl([['2026-11-30', -50_000_000]])].reverse();
    const risk = riskOf({ dailyPnl });
    expect(risk.var.observations).toBe(40);
    expect(risk.var.unavailableReason).toBeNull();
    // μ = (−3 − 2 − 1.5 + 37 × 0.5) / 40 = 12 / 40 = 0.3%
    // σ: squared deviations 3.3² + 2.3² + 1.8² + 37 × 0.2² = 10.89 + 5.29 + 3.24 + 1.48 = 20.9;
    //    sqrt(20.9 / 39) = 0.7320501594%
    // VaR95 = |0.3 − 1.6449 × 0.7320501594| = 0.9041493072; VaR99 = |0.3 − 2.3263 × 0.7320501594| = 1.4029682858
    expect(risk.var.parametric95Pct).toBeCloseTo(0.9041493072, 8);
    expect(risk.var.parametric99Pct).toBeCloseTo(1.4029682858, 8);
    // 95%: k = ⌈40 × 0.05⌉ = 2 worst days (−3, −2): VaR = 2, CVaR = (3 + 2) / 2 = 2.5
    // 99%: k = ⌈40 × 0.01⌉ = 1 worst day (−3): VaR = CVaR = 3
    expect(risk.var.historical95Pct).toBeCloseTo(2, 10);
    expect(risk.var.cvar95Pct).toBeCloseTo(2.5, 10);
    expect(risk.var.historical99Pct).toBeCloseTo(3, 10);
    expect(risk.var.cvar99Pct).toBeCloseTo(3, 10);
  });

  it('reports a historical VaR of 0 when even the worst day is a gain', () => {
    // 20 days of +0.1%: the worst day is a gain, there is no loss at 95%
    const risk = riskOf({ dailyPnl: series(Array<number>(20).fill(100_000)) });
    expect(risk.var.historical95Pct).toBe(0);
    expect(risk.var.cvar95Pct).toBe(0);
  });
});

describe('computeRiskLive: leverage', () => {
  it('measures gross and signed net leverage on AUM', () => {
    const risk = riskOf({
      positions: [
        makePosition({ direction: 'LONG', notionalBrl: dec(250_000_000) }),
        makePosition({ direction: 'SHORT', notionalBrl: dec(100_000_000) }),
      ],
    });
    // gross 350M / 100M = 3.5 → utilization 3.5 / 4 = 0.875 ≥ 0.8 → WARNING
    expect(risk.leverage.gross).toBe(3.5);
    expect(check(risk, 'GROSS_LEVERAGE')).toMatchObject({ value: 3.5, limit: 4, utilization: 0.875, status: 'WARNING' });
    // net (250M − 100M) / 100M = 1.5 → 1.5 / 2 = 0.75 → OK
    expect(check(risk, 'NET_LEVERAGE')).toMatchObject({ value: 1.5, utilization: 0.75, status: 'OK' });
  });

  it('checks a net short book on |net| while keeping the negative value', () => {
    const risk = riskOf({
      positions: [
        makePosition({ direction: 'LONG', notionalBrl: dec(10_000_000) }),
        makePosition({ direction: 'SHORT', notionalBrl: dec(250_000_000) }),
      ],
    });
    // net (10M − 250M) / 100M = −2.4 → |−2.4| / 2 = 1.2 → BREACHED
    expect(risk.leverage.net).toBe(-2.4);
    expect(check(risk, 'NET_LEVERAGE')).toMatchObject({ value: -2.4, utilization: 1.2, status: 'BREACHED' });
  });
});

describe('computeRiskLive: drawdown', () => {
  it('measures drawdown from a high-water mark that starts at 0', () => {
    // cumulative P&L 1M, −2M, −1.5M: peak 1M; current (1M − (−1.5M)) / 100M = 2.5%; max 3% on day 2;
    // two observations since the peak
    const risk = riskOf({ dailyPnl: series([1_000_000, -3_000_000, 500_000]) });
    expect(risk.drawdown.cumulativePnlBrl.toFixed()).toBe('-1500000');
    expect(risk.drawdown.highWaterMarkBrl.toFixed()).toBe('1000000');
    expect(risk.drawdown.currentPct).toBe(2.5);
    expect(risk.drawdown.maxPct).toBe(3);
    expect(risk.drawdown.daysInDrawdown).toBe(2);
  });

  it('is out of drawdown at a new peak but remembers the maximum', () => {
    // cumulative 1M, −2M, −1.5M, 3.5M: a new peak
    const risk = riskOf({ dailyPnl: series([1_000_000, -3_000_000, 500_000, 5_000_000]) });
    expect(risk.drawdown.currentPct).toBe(0);
    expect(risk.drawdown.daysInDrawdown).toBe(0);
    expect(risk.drawdown.maxPct).toBe(3);
  });

  it('counts a fund that has only lost as in drawdown since its first day', () => {
    const risk = riskOf({ dailyPnl: series([-1_000_000, -1_000_000]) });
    // cumulative −2M against a peak of 0 → 2%
    expect(risk.drawdown.currentPct).toBe(2);
    expect(risk.drawdown.daysInDrawdown).toBe(2);
  });

  it('warns from 5% and breaches from 10% of AUM, not at 80% of the limit', () => {
    const status = (loss: number) => check(riskOf({ dailyPnl: series([-loss]) }), 'DRAWDOWN').status;
    expect(status(4_900_000)).toBe('OK'); // 4.9%
    expect(status(6_000_000)).toBe('WARNING'); // 6%, utilization 0.6
    expect(status(10_000_000)).toBe('BREACHED'); // 10%
  });
});

describe('computeRiskLive: concentration', () => {
  it('compares each asset class share of gross with its limit', () => {
    const risk = riskOf({
      positions: [
        makePosition({ assetClass: 'RATES', ticker: 'DI1F27', notionalBrl: dec(50_000_000) }),
        makePosition({ assetClass: 'FX', ticker: 'USDBRL', direction: 'SHORT', notionalBrl: dec(40_000_000) }),
        makePosition({ assetClass: 'EQUITY', ticker: 'IBOV_FUT', notionalBrl: dec(10_000_000) }),
      ],
    });
    // gross 100M: RATES 50% / 60 = 0.833 WARNING; FX 40% / 40 = 1.0 BREACHED; EQUITY 10% / 30 = 0.333 OK
    expect(risk.concentration.byAssetClass.map((r) => [r.assetClass, r.pctOfGross, r.limitPct, r.status])).toEqual([
      ['RATES', 50, 60, 'WARNING'],
      ['FX', 40, 40, 'BREACHED'],
      ['EQUITY', 10, 30, 'OK'],
    ]);
  });

  it('reports the three largest positions and their share of gross', () => {
    const positions = [10, 40, 20, 30].map((m) => makePosition({ notionalBrl: dec(m * 1_000_000) }));
    const risk = riskOf({ positions });
    // gross 100M; top three 40 + 30 + 20 = 90M → 90%
    expect(risk.concentration.topPositions.map((p) => p.pctOfGross)).toEqual([40, 30, 20]);
    expect(risk.concentration.top3PctOfGross).toBe(90);
  });
});

describe('computeRiskLive: stress tests', () => {
  const positions: Position[] = [
    makePosition({ ticker: 'USDBRL', assetClass: 'FX', direction: 'SHORT', notionalBrl: dec(20_000_000) }),
    makePosition({ ticker: 'IBOV_FUT', assetClass: 'EQUITY', direction: 'LONG', notionalBrl: dec(10_000_000) }),
    makePosition({
      ticker: 'DI1F27',
      assetClass: 'RATES',
      direction: 'LONG',
      notionalBrl: dec(50_000_000),
      ratePct: dec(10),
      businessDays: 252,
      // Marked at the PU of its traded rate, on its entry day: the current rate is 10% too.
      entryPrice: puFromRate(10, 252),
      currentPrice: puFromRate(10, 252),
    }),
    makePosition({ ticker: 'DOL_F27', assetClass: 'FX', direction: 'LONG', notionalBrl: dec(1_000_000) }),
    makePosition({
      ticker: 'DI1F29', assetClass: 'RATES', direction: 'LONG', notionalBrl: dec(1_000_000),
      entryPrice: dec(100_000), currentPrice: dec(100_000),
    }),
    makePosition({ ticker: 'XYZ', assetClass: 'CREDIT', direction: 'LONG', notionalBrl: dec(7_000_000) }),
  ];

  it('runs the six scenarios of the domain spec', () => {
    const risk = riskOf({ positions });
    expect(risk.stress.map((s) => s.scenarioId)).toEqual([
      'TAPER_TANTRUM_2013',
      'BR_CRISIS_2015',
      'COVID_2020',
      'RATE_SHOCK_2022',
      'BR_FISCAL_CRISIS',
      'GLOBAL_RISK_OFF',
    ]);
    expect(STRESS_SCENARIOS.find((s) => s.id === 'GLOBAL_RISK_OFF')?.shocksPct).toEqual({
      USDBRL: 20,
      DI_PRE: 1.5,
      IBOV: -30,
      SP500: -25,
      OIL: -40,
      UST: -0.5,
      CDS_BR: 30,
    });
  });

  it('shocks signed notionals and reprices rate positions at the shocked rate', () => {
    const taper = riskOf({ positions }).stress[0];
    if (taper === undefined) throw new Error('no scenario');
    const byTicker = new Map(taper.contributions.map((c) => [c.ticker, c]));
    // SHORT USDBRL 20M × +15% = −3,000,000
    expect(byTicker.get('USDBRL')?.pnlBrl.toFixed()).toBe('-3000000');
    // LONG IBOV_FUT 10M × −15% = −1,500,000
    expect(byTicker.get('IBOV_FUT')?.pnlBrl.toFixed()).toBe('-1500000');
    // LONG (receive fixed) DI1F27 at 10%, 252 du, DI_PRE +2pp:
    //   PU(12%) − PU(10%) = 100000/1.12 − 100000/1.10 = −2000/1.232 = −1623.3766233766
    //   × 50M / 100000 = −811,688.3116883117 → −811,688.3117 at the money scale
    expect(byTicker.get('DI1F27')).toMatchObject({ factor: 'DI_PRE', method: 'RATE_MOVE', shockPct: 2 });
    expect(byTicker.get('DI1F27')?.pnlBrl.toFixed()).toBe('-811688.3117');
    // DOL_F27 maps to USDBRL by prefix: LONG 1M × +15% = +150,000
    expect(byTicker.get('DOL_F27')).toMatchObject({ factor: 'USDBRL', method: 'NOTIONAL_RETURN' });
    expect(byTicker.get('DOL_F27')?.pnlBrl.toFixed()).toBe('150000');
    // A RATES position without rate data takes the rate rise as a one-year-duration price fall:
    //   −PU 100,000 × 2% × 1M / 100000 = −20,000 (a receive-fixed LONG loses when rates rise)
    expect(byTicker.get('DI1F29')).toMatchObject({ method: 'RATE_MOVE_UNIT_DURATION' });
    expect(byTicker.get('DI1F29')?.pnlBrl.toFixed()).toBe('-20000');
    // An instrument no factor matches is not shocked
    expect(byTicker.has('XYZ')).toBe(false);
    // total −3,000,000 − 1,500,000 − 811,688.3117 + 150,000 − 20,000 = −5,181,688.3117: the sum of the rows
    expect(taper.pnlBrl.toFixed()).toBe('-5181688.3117');
    expect(taper.pnlBrl.eq(sum(taper.contributions.map((c) => c.pnlBrl)))).toBe(true);
    expect(taper.pnlPctOfAum).toBeCloseTo(-5.1816883117, 9);
  });
});

describe('stress from the current mark, one hand-computed case per asset class', () => {
  it('counts the business days a RATES contract has run down from its entry to its mark', () => {
    // Mon 2026-11-02 → Mon 2026-11-16: Tue..Fri (4) + Mon..Fri (5) + Mon (1) = 10 weekdays
    expect(businessDaysBetween('2026-11-02', '2026-11-16')).toBe(10);
    // Fri → Mon: the weekend does not count
    expect(businessDaysBetween('2026-11-06', '2026-11-09')).toBe(1);
    expect(businessDaysBetween('2026-11-09', '2026-11-09')).toBe(0);
    expect(businessDaysBetween('2026-11-09', '2026-11-02')).toBe(0);
  });

  it('RATES: reprices the current PU at its implied rate plus the shock, with the business days left at the mark', () => {
    // LONG (receive fixed) 50M, 262 du at entry on 2026-11-02, marked at PU 90,000 on 2026-11-16:
    //   du = 262 − 10 = 252, so the implied rate is 100000 / 90000 − 1 = 11.1111...% (exponent 1);
    //   +2pp: PU' = 100000 / (1 + 0.1311111...) = 100000 × 450 / 509 = 88,408.6444007859
    //   pnl = (PU' − 90,000) × 50M / 100000 = −810,000 × 500 / 509 = −795,677.7996070727 → −795,677.7996
    // The entry's rate and du (11%, 262) would give another figure: the mark is what is shocked.
    const di = makePosition({
      ticker: 'DI1F28', assetClass: 'RATES', direction: 'LONG', notionalBrl: dec(50_000_000),
      ratePct: dec(11), businessDays: 262, entryDate: '2026-11-02', entryPrice: puFromRate(11, 262),
      currentPrice: dec(90_000), lastMarkDate: '2026-11-16',
    });
    expect(shockPnl(di, 2)).toEqual({ method: 'RATE_MOVE', pnlBrl: dec('-795677.7996') });
    // The same SHORT gains the same amount.
    expect(shockPnl({ ...di, direction: 'SHORT' }, 2).pnlBrl.toFixed()).toBe('795677.7996');
    // At or past maturity (du ≤ 0) nothing is left to reprice.
    expect(shockPnl({ ...di, businessDays: 10 }, 2)).toEqual({ method: 'RATE_MOVE', pnlBrl: dec(0) });
  });

  it('RATES without rate data: a one-year duration on the current PU', () => {
    // LONG 1M marked at PU 95,000, +2pp: −95,000 × 2% × 1M / 100000 = −19,000
    const di = makePosition({
      ticker: 'DI1F29', assetClass: 'RATES', direction: 'LONG', notionalBrl: dec(1_000_000),
      entryPrice: dec(94_000), currentPrice: dec(95_000),
    });
    expect(shockPnl(di, 2)).toEqual({ method: 'RATE_MOVE_UNIT_DURATION', pnlBrl: dec(-19_000) });
  });

  it.each([
    // FX: SHORT USDBRL 20M entered at 5.00, marked 5.50; +15%: −20M × (5.5 / 5) × 15% = −3,300,000
    ['FX', 'USDBRL', 'SHORT', 20_000_000, '5', '5.5', 15, '-3300000'],
    // EQUITY: LONG IBOV_FUT 10M at 120,000, marked 132,000; −15%: 10M × 1.1 × −15% = −1,650,000
    ['EQUITY', 'IBOV_FUT', 'LONG', 10_000_000, '120000', '132000', -15, '-1650000'],
    // INFLATION: LONG NTN_B 15M at 4,000, marked 4,200; −8%: 15M × 1.05 × −8% = −1,260,000
    ['INFLATION', 'NTN_B_2035', 'LONG', 15_000_000, '4000', '4200', -8, '-1260000'],
    // SOVEREIGN: LONG UST10Y 10M at 100, marked 98; +1%: 10M × 0.98 × 1% = +98,000
    ['SOVEREIGN', 'UST10Y', 'LONG', 10_000_000, '100', '98', 1, '98000'],
    // CREDIT: SHORT CDS_BR 5M at 200 bps, marked 150; +40%: −5M × 0.75 × 40% = −1,500,000
    ['CREDIT', 'CDS_BR_5Y', 'SHORT', 5_000_000, '200', '150', 40, '-1500000'],
    // CROSS_ASSET with a price factor: LONG 3M at 80, marked 81; −40%: 3M × 1.0125 × −40% = −1,215,000
    ['CROSS_ASSET', 'OIL_BASKET', 'LONG', 3_000_000, '80', '81', -40, '-1215000'],
    // Rounded to the money scale: LONG 1M at 3, marked 1; +10%: 1M × (1/3) × 10% = 33,333.33333... → 33,333.3333
    ['EQUITY', 'ES', 'LONG', 1_000_000, '3', '1', 10, '33333.3333'],
  ] as const)('%s: the shock moves the current price of %s (NOTIONAL_RETURN)', (assetClass, ticker, direction, notional, entry, current, shock, expected) => {
    const position = makePosition({
      ticker, assetClass, direction, notionalBrl: dec(notional), entryPrice: dec(entry), currentPrice: dec(current),
    });
    expect(shockPnl(position, shock)).toEqual({ method: 'NOTIONAL_RETURN', pnlBrl: dec(expected) });
  });

  it('a scenario sums the contributions it lists, each from the mark', () => {
    const positions = [
      makePosition({ ticker: 'USDBRL', assetClass: 'FX', direction: 'SHORT', notionalBrl: dec(20_000_000), entryPrice: dec(5), currentPrice: dec('5.5') }),
      makePosition({ ticker: 'ES', assetClass: 'EQUITY', direction: 'LONG', notionalBrl: dec(1_000_000), entryPrice: dec(3), currentPrice: dec(1) }),
    ];
    const covid = riskOf({ positions }).stress.find((s) => s.scenarioId === 'COVID_2020');
    // USDBRL +20%: −20M × 1.1 × 20% = −4,400,000; SP500 −30%: 1M × (1/3) × −30% = −100,000 exactly
    expect(covid?.contributions.map((c) => [c.ticker, c.pnlBrl.toFixed()])).toEqual([['USDBRL', '-4400000'], ['ES', '-100000']]);
    expect(covid?.pnlBrl.toFixed()).toBe('-4500000');
  });
});

describe('computeRiskLive: limits and alerts', () => {
  // AUM 100M. RATES LONG 200M + FX SHORT 160M: gross 3.6× (0.9 of 4 → WARNING), net 0.4× OK;
  // RATES 55.6% of gross (0.93 of 60 → WARNING), FX 44.4% (1.11 of 40 → BREACHED).
  // 25 days alternating ±3M from +3M: μ = 3M / 25 = 0.12%, σ ≈ 3.06% → VaR95 ≈ 4.9% > 2% BREACHED,
  // VaR99 ≈ 7.0% > 3% BREACHED. The last day is a peak, so drawdown is 0.
  const stressedBook = (): RiskInput => ({
    portfolioId: 'portfolio-1',
    asOf,
    aumBrl: AUM,
    dailyPnl: series(Array.from({ length: 25 }, (_, i) => (i % 2 === 0 ? 3_000_000 : -3_000_000))),
    positions: [
      makePosition({ assetClass: 'RATES', ticker: 'DI1F27', notionalBrl: dec(200_000_000) }),
      makePosition({ assetClass: 'FX', ticker: 'USDBRL', direction: 'SHORT', notionalBrl: dec(160_000_000) }),
    ],
    limits: DEFAULT_RISK_LIMITS,
  });

  it('raises one alert per check in WARNING or BREACHED, breaches first, without duplicates', () => {
    const risk = computeRiskLive(stressedBook());
    expect(risk.alerts.map((a) => [a.check, a.status])).toEqual([
      ['VAR_95', 'BREACHED'],
      ['VAR_99', 'BREACHED'],
      ['CONCENTRATION_FX', 'BREACHED'],
      ['GROSS_LEVERAGE', 'WARNING'],
      ['CONCENTRATION_RATES', 'WARNING'],
    ]);
    expect(new Set(risk.alerts.map((a) => a.check)).size).toBe(risk.alerts.length);
    expect(risk.overallStatus).toBe('BREACHED');
  });

  it('gives each alert its value, limit and a readable message', () => {
    const gross = computeRiskLive(stressedBook()).alerts.find((a) => a.check === 'GROSS_LEVERAGE');
    expect(gross).toMatchObject({ value: 3.6, limit: 4 });
    expect(gross?.message).toBe('Gross leverage 3.60x AUM is near the limit of 4.00x AUM');
  });

  it('skips the VaR checks with a null value when VaR is unavailable', () => {
    const risk = riskOf({ dailyPnl: series([-50_000_000]) });
    expect(check(risk, 'VAR_95')).toEqual({ check: 'VAR_95', value: null, limit: 2, utilization: null, status: 'OK' });
    expect(risk.alerts.map((a) => a.check)).toEqual(['DRAWDOWN']); // 50% drawdown, but no VaR alert
  });

  it('is OK overall for a small, calm book', () => {
    const risk = riskOf({
      dailyPnl: series(Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? 100_000 : -50_000))),
      positions: [
        makePosition({ assetClass: 'RATES', notionalBrl: dec(40_000_000) }),
        makePosition({ assetClass: 'FX', notionalBrl: dec(30_000_000) }),
        makePosition({ assetClass: 'CUPOM', notionalBrl: dec(30_000_000) }),
      ],
    });
    // gross 1× AUM; RATES 40% of 60, FX 30% of 40 (0.75), CUPOM 30% of 100; drawdown ≤ 0.05%
    expect(risk.overallStatus).toBe('OK');
    expect(risk.alerts).toEqual([]);
  });

  it('refuses a non-positive AUM', () => {
    expect(() => riskOf({ aumBrl: dec(0) })).toThrow(InvalidInput);
  });
});

describe('toRiskSnapshot', () => {
  it('stores the parametric VaR, gross leverage, current drawdown and alert count', () => {
    const risk = riskOf({
      dailyPnl: series([...Array<number>(24).fill(100_000), -6_000_000]),
      positions: [makePosition({ notionalBrl: dec(150_000_000) })],
    });
    const snapshot = toRiskSnapshot(risk);
    expect(snapshot).toEqual({
      portfolioId: 'portfolio-1',
      date: asOf,
      var95: risk.var.parametric95Pct,
      var99: risk.var.parametric99Pct,
      grossLeverage: 1.5,
      // peak 2.4M after 24 days, then −6M: (2.4M + 3.6M) / 100M = 6%
      drawdownPct: 6,
      alertCount: risk.alerts.length,
      overallStatus: risk.overallStatus,
    });
    expect(snapshot.alertCount).toBeGreaterThan(0);
  });
});
