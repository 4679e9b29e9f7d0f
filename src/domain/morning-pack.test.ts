import { computeBook } from './book';
import { dec } from './decimal';
import type { MorningPackInput } from './morning-pack';
import { ACTION_PRIORITIES, buildMorningPack } from './morning-pack';
import { computeRiskLive, DEFAULT_RISK_LIMITS } from './risk';
import { businessDates, makeDailyPnl, makePortfolio, makePosition, makeProposal } from './test-factories';
import type { DailyPnl, Position } from './types';

const briefingDate = '2026-11-27';

function packInput(overrides: Partial<MorningPackInput> = {}): MorningPackInput {
  const portfolio = makePortfolio({ name: 'Macro Fund', aumBrl: dec(100_000_000) });
  // RATES 200M + FX SHORT 160M on 100M AUM: gross 3.6× → WARNING; FX 44.4% of gross → BREACHED.
  const positions: Position[] = [
    makePosition({ ticker: 'DI1F27', assetClass: 'RATES', notionalBrl: dec(200_000_000), unrealizedPnlBrl: dec('1234.565') }),
    makePosition({ ticker: 'USDBRL', assetClass: 'FX', direction: 'SHORT', notionalBrl: dec(160_000_000) }),
  ];
  const dates = businessDates('2026-11-02', 20);
  const dailyPnl: DailyPnl[] = makeDailyPnl(dates.map((d) => [d, 10_000] as const));
  const book = computeBook({ portfolio, asOf: briefingDate, openPositions: positions, closedPositions: [], dailyPnl });
  const risk = computeRiskLive({
    portfolioId: portfolio.id,
    asOf: briefingDate,
    aumBrl: portfolio.aumBrl,
    dailyPnl: dailyPnl.slice(0, 5), // 5 observations: VaR unavailable
    positions,
    limits: DEFAULT_RISK_LIMITS,
  });
  return {
    portfolio,
    briefingDate,
    book,
    risk,
    pendingProposals: [
      makeProposal({ ticker: 'NTN_B_2030', conviction: 0.6 }),
      makeProposal({ ticker: 'USDBRL', direction: 'LONG', conviction: 0.65, isFlip: true }),
      makeProposal({ ticker: 'DI1F29', conviction: 0.85, suggestedNotionalBrl: dec('12500000.5') }),
    ],
    stalePrices: [{ ticker: 'CDS_BR_5Y', lastPriceDate: '2026-11-20' }],
    marketSnapshot: [
      { series: 'SELIC', date: '2026-11-26', value: 10.75 },
      { series: 'USDBRL', date: '2026-11-26', value: 5.01 },
      { series: 'SELIC', date: '2026-11-27', value: 11.25 },
    ],
    agentViews: null,
    regime: null,
    topSignals: null,
    ...overrides,
  };
}

describe('buildMorningPack', () => {
  it('sorts action items CRITICAL, HIGH, MEDIUM, LOW with the priority each fact earns', () => {
    const pack = buildMorningPack(packInput());
    expect(pack.actionItems.map((i) => [i.priority, i.category, i.refs?.ticker ?? i.refs?.check])).toEqual([
      ['CRITICAL', 'RISK', 'CONCENTRATION_FX'], // BREACHED alert
      ['CRITICAL', 'PROPOSAL', 'USDBRL'], // pending flip, conviction only 0.65
      ['HIGH', 'RISK', 'GROSS_LEVERAGE'], // WARNING alert
      ['HIGH', 'RISK', 'CONCENTRATION_RATES'],
      ['HIGH', 'PROPOSAL', 'DI1F29'], // conviction 0.85 ≥ 0.8
      ['MEDIUM', 'PROPOSAL', 'NTN_B_2030'], // conviction 0.6
      ['LOW', 'DATA_QUALITY', 'CDS_BR_5Y'], // stale price
    ]);
    const ranks = pack.actionItems.map((i) => ACTION_PRIORITIES.indexOf(i.priority));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
  });

  it('explains a stale price with its age and refers to the proposal of a proposal item', () => {
    const input = packInput();
    const pack = buildMorningPack(input);
    const stale = pack.actionItems.find((i) => i.category === 'DATA_QUALITY');
    // 2026-11-20 → 2026-11-27 = 7 days
    expect(stale?.detail).toBe('Latest price for CDS_BR_5Y is from 2026-11-20, 7 days before 2026-11-27.');
    const flip = pack.actionItems.find((i) => i.refs?.ticker === 'USDBRL');
    const flipProposal = input.pendingProposals.find((p) => p.isFlip);
    expect(flip?.refs).toEqual({ proposalId: flipProposal?.id, ticker: 'USDBRL' });
    expect(flip?.title).toBe('Review flip proposal: LONG USDBRL');
    expect(flip?.detail).toBe(
      'Flips the open SHORT position in USDBRL to LONG, BRL 5,000,000.00, conviction 0.65 (SYSTEMATIC).',
    );
  });

  it('produces plain JSON: a round trip through JSON gives the same pack', () => {
    const pack = buildMorningPack(packInput());
    expect(JSON.parse(JSON.stringify(pack))).toEqual(pack);
  });

  it('writes money as strings at the money scale (4 places) and ratios as numbers', () => {
    const pack = buildMorningPack(packInput());
    expect(pack.portfolioState.aumBrl).toBe('100000000.0000');
    // gross 200M + 160M; net 200M − 160M
    expect(pack.portfolioState.grossExposureBrl).toBe('360000000.0000');
    expect(pack.portfolioState.netExposureBrl).toBe('40000000.0000');
    expect(pack.portfolioState.grossLeverage).toBe(3.6);
    // 1234.565 is already at the money scale: kept as 1234.5650, not rounded to cents
    expect(pack.portfolioState.unrealizedPnlBrl).toBe('1234.5650');
    // 20 business days × 10,000 in November: MTD 200,000, today 10,000
    expect(pack.portfolioState.pnlMtdBrl).toBe('200000.0000');
    expect(pack.portfolioState.pnlTodayBrl).toBe('10000.0000');
    expect(pack.pendingProposals.find((p) => p.ticker === 'DI1F29')?.suggestedNotionalBrl).toBe('12500000.5000');
  });

  it('lists pending proposals by conviction, highest first', () => {
    const pack = buildMorningPack(packInput());
    expect(pack.pendingProposals.map((p) => [p.ticker, p.conviction, p.isFlip])).toEqual([
      ['DI1F29', 0.85, false],
      ['USDBRL', 0.65, true],
      ['NTN_B_2030', 0.6, false],
    ]);
  });

  it('carries the reason when VaR is unavailable instead of a number', () => {
    const pack = buildMorningPack(packInput());
    expect(pack.riskSummary.var95Pct).toBeNull();
    expect(pack.riskSummary.var99Pct).toBeNull();
    expect(pack.riskSummary.varUnavailableReason).toContain('5 available');
    expect(pack.riskSummary.overallStatus).toBe('BREACHED');
    expect(pack.riskSummary.alerts.map((a) => a.check)).toEqual([
      'CONCENTRATION_FX',
      'GROSS_LEVERAGE',
      'CONCENTRATION_RATES',
    ]);
  });

  it('keeps the latest point of each market series', () => {
    const pack = buildMorningPack(packInput());
    expect(pack.marketSnapshot).toEqual([
      { series: 'SELIC', date: '2026-11-27', value: 11.25 },
      { series: 'USDBRL', date: '2026-11-26', value: 5.01 },
    ]);
  });

  it('marks agent views, regime and top signals unavailable rather than inventing them', () => {
    const pack = buildMorningPack(packInput());
    for (const section of [pack.agentViews, pack.regime, pack.topSignals]) {
      expect(section.available).toBe(false);
      expect(section.reason.length).toBeGreaterThan(0);
    }
  });

  it('narrates only the facts of the pack', () => {
    const pack = buildMorningPack(packInput());
    expect(pack.narrative).toBe(
      'Macro Fund on 2026-11-27: 2 open positions, gross exposure BRL 360,000,000.00 (3.60x AUM) ' +
        'and net exposure BRL 40,000,000.00 (0.40x AUM). ' +
        'P&L today BRL 10,000.00, month to date BRL 200,000.00, year to date BRL 200,000.00. ' +
        `Risk status BREACHED: VaR unavailable (${pack.riskSummary.varUnavailableReason ?? ''}); ` +
        'drawdown 0.00% of AUM. ' +
        '3 risk alerts: CONCENTRATION_FX BREACHED, GROSS_LEVERAGE WARNING, CONCENTRATION_RATES WARNING. ' +
        '3 proposals pending review, 1 flip among them. ' +
        'Stale prices: CDS_BR_5Y.',
    );
  });

  it('says so when there is nothing to act on', () => {
    const input = packInput({ pendingProposals: [], stalePrices: [] });
    const calm = buildMorningPack({ ...input, risk: { ...input.risk, alerts: [], overallStatus: 'OK' } });
    expect(calm.actionItems).toEqual([]);
    expect(calm.narrative).toContain('No risk alerts. No proposals are pending review.');
    expect(calm.narrative).not.toContain('Stale prices');
  });
});
