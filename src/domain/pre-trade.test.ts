import { dec } from './decimal';
import { evaluatePreTrade } from './pre-trade';

const aum = dec(100_000_000);

describe('evaluatePreTrade', () => {
  it('passes the first trade of an empty book although it is 100% of gross', () => {
    const r = evaluatePreTrade({ aumBrl: aum, openPositions: [], assetClass: 'FX', notionalBrl: dec(10_000_000) });
    // gross after = 10M → leverage 0.1; FX weight 100%, but there was no exposure to concentrate.
    expect(r.grossLeverageAfter).toBeCloseTo(0.1);
    expect(r.assetClassWeightAfterPct).toBe(100);
    expect(r.checks.every((c) => c.passed)).toBe(true);
  });

  it('fails the weight check when the trade would make its class half of the gross or more', () => {
    const open = [{ notionalBrl: dec(10_000_000), assetClass: 'RATES' as const }];
    // FX after = 10M of 20M gross = 50% → not strictly below 50%.
    const r = evaluatePreTrade({ aumBrl: aum, openPositions: open, assetClass: 'FX', notionalBrl: dec(10_000_000) });
    expect(r.checks.find((c) => c.check === 'ASSET_CLASS_WEIGHT')).toEqual({
      check: 'ASSET_CLASS_WEIGHT', value: 50, limit: 50, passed: false,
    });
  });

  it('rejects a notional above 50M and a post-trade gross leverage of 4 or more', () => {
    const open = [
      { notionalBrl: dec(200_000_000), assetClass: 'RATES' as const },
      { notionalBrl: dec(160_000_000), assetClass: 'FX' as const },
    ];
    // gross after = 360M + 60M = 420M on 100M AUM → 4.2×; EQUITY weight 60/420 = 14.3%.
    const r = evaluatePreTrade({ aumBrl: aum, openPositions: open, assetClass: 'EQUITY', notionalBrl: dec(60_000_000) });
    expect(r.checks.map((c) => [c.check, c.passed])).toEqual([
      ['NOTIONAL', false],
      ['GROSS_LEVERAGE', false],
      ['ASSET_CLASS_WEIGHT', true],
    ]);
    expect(r.assetClassWeightAfterPct).toBeCloseTo(14.2857, 3);
  });
});
