import type { AssetClass, Direction, PriceConvention } from '../../domain/types';

/**
 * The demo's static data: the instruments and how their prices move, the tracked macro series,
 * and the scripts of what the demo funds traded. Days are indexes into the history (0 = the
 * first business day, LAST_DAY = asOf), so the script reads the same whatever `asOf` is.
 * Market paths come from the seeded PRNG (demo.ts); the trades are hand-written, as a desk's
 * sizes and dates are choices, not noise.
 */

/** Business days of history ending at asOf: ≥ 80 days of prices, ≥ 60 of P&L after the first entries. */
export const HISTORY_DAYS = 90;
export const LAST_DAY = HISTORY_DAYS - 1;

/**
 * Daily pull back toward the starting level (Ornstein–Uhlenbeck). 0.02 keeps a walk within about
 * five daily vols of where it started over the history: USDBRL stays near 5.0, DI rates in
 * 10–12%, the CDS in 150–200 bps, while still trending enough for a drawdown.
 */
export const MEAN_REVERSION = 0.02;

export type PriceModel =
  /**
   * PU of a pre-fixed rate: the walk is on the rate (% a.a.), the close is puFromRate(rate, du).
   * Maturity is modelled as `businessDaysAtAsOf` after the last day, so the figures do not depend
   * on the calendar date of asOf.
   */
  | { readonly kind: 'rate'; readonly startPct: number; readonly bpVolPerDay: number; readonly businessDaysAtAsOf: number }
  /** A price level walking in log space with `dailyVol` (fraction) per day. */
  | { readonly kind: 'level'; readonly start: number; readonly dailyVol: number; readonly decimals: number }
  /** A fixed multiple of another instrument's close (a future over its spot, carry included). */
  | { readonly kind: 'derived'; readonly underlying: string; readonly factor: number; readonly decimals: number };

export interface CatalogInstrument {
  readonly ticker: string;
  readonly name: string;
  readonly assetClass: AssetClass;
  readonly priceConvention: PriceConvention;
  readonly model: PriceModel;
  /**
   * Loading (−1..1) on the common "Brazil risk-off" factor, which correlates the book the way a
   * sell-off does: USDBRL, DI rates, CDS and VIX up; Ibovespa and NTN-B prices down; USTs up
   * (flight to quality). For a rate model it loads the rate, so the PU falls in a sell-off.
   */
  readonly riskOffBeta: number;
}

export const INSTRUMENTS: readonly CatalogInstrument[] = [
  {
    ticker: 'DI1N27', name: 'DI1 one-day interbank future, Jul 2027', assetClass: 'RATES', priceConvention: 'PU',
    model: { kind: 'rate', startPct: 10.85, bpVolPerDay: 6, businessDaysAtAsOf: 150 }, riskOffBeta: 0.5,
  },
  {
    ticker: 'DI1F28', name: 'DI1 one-day interbank future, Jan 2028', assetClass: 'RATES', priceConvention: 'PU',
    model: { kind: 'rate', startPct: 11.2, bpVolPerDay: 7, businessDaysAtAsOf: 270 }, riskOffBeta: 0.55,
  },
  {
    ticker: 'DI1F29', name: 'DI1 one-day interbank future, Jan 2029', assetClass: 'RATES', priceConvention: 'PU',
    model: { kind: 'rate', startPct: 11.55, bpVolPerDay: 8, businessDaysAtAsOf: 520 }, riskOffBeta: 0.6,
  },
  {
    ticker: 'USDBRL', name: 'US dollar / Brazilian real spot', assetClass: 'FX', priceConvention: 'SPOT',
    model: { kind: 'level', start: 5.0, dailyVol: 0.008, decimals: 4 }, riskOffBeta: 0.6,
  },
  {
    // B3 dollar future: BRL per USD 1,000, one month of carry over spot.
    ticker: 'DOL', name: 'B3 US dollar future (front month)', assetClass: 'FX', priceConvention: 'SPOT',
    model: { kind: 'derived', underlying: 'USDBRL', factor: 1004, decimals: 1 }, riskOffBeta: 0.6,
  },
  {
    ticker: 'NTN_B_2030', name: 'NTN-B (IPCA-linked Treasury) Aug 2030', assetClass: 'INFLATION', priceConvention: 'PRICE',
    model: { kind: 'level', start: 4380, dailyVol: 0.003, decimals: 2 }, riskOffBeta: -0.45,
  },
  {
    ticker: 'NTN_B_2035', name: 'NTN-B (IPCA-linked Treasury) May 2035', assetClass: 'INFLATION', priceConvention: 'PRICE',
    model: { kind: 'level', start: 4250, dailyVol: 0.0045, decimals: 2 }, riskOffBeta: -0.5,
  },
  {
    ticker: 'UST2Y', name: 'US Treasury 2-year note', assetClass: 'SOVEREIGN', priceConvention: 'PRICE',
    model: { kind: 'level', start: 99.2, dailyVol: 0.0012, decimals: 4 }, riskOffBeta: 0.15,
  },
  {
    ticker: 'UST10Y', name: 'US Treasury 10-year note', assetClass: 'SOVEREIGN', priceConvention: 'PRICE',
    model: { kind: 'level', start: 96.5, dailyVol: 0.0045, decimals: 4 }, riskOffBeta: 0.2,
  },
  {
    ticker: 'CDS_BR_5Y', name: 'Brazil sovereign CDS 5-year', assetClass: 'CREDIT', priceConvention: 'SPREAD_BPS',
    model: { kind: 'level', start: 172, dailyVol: 0.015, decimals: 2 }, riskOffBeta: 0.65,
  },
  {
    ticker: 'IBOV_FUT', name: 'Ibovespa index future', assetClass: 'EQUITY', priceConvention: 'PRICE',
    model: { kind: 'level', start: 128_500, dailyVol: 0.012, decimals: 0 }, riskOffBeta: -0.6,
  },
  {
    ticker: 'ES', name: 'E-mini S&P 500 future', assetClass: 'EQUITY', priceConvention: 'PRICE',
    model: { kind: 'level', start: 5400, dailyVol: 0.009, decimals: 2 }, riskOffBeta: -0.3,
  },
  {
    // DDI is quoted as a PU too (the FX coupon discounted to maturity); its P&L is a return on notional.
    ticker: 'DDIF28', name: 'DDI FX-coupon future, Jan 2028', assetClass: 'CUPOM', priceConvention: 'PU',
    model: { kind: 'rate', startPct: 5.6, bpVolPerDay: 6, businessDaysAtAsOf: 270 }, riskOffBeta: 0.3,
  },
  {
    ticker: 'EMFX_CARRY', name: 'EM FX carry basket index', assetClass: 'CROSS_ASSET', priceConvention: 'PRICE',
    model: { kind: 'level', start: 100, dailyVol: 0.005, decimals: 4 }, riskOffBeta: -0.4,
  },
];

export type SeriesModel =
  /** Piecewise constant: a policy rate or a monthly print, changing on the given days. */
  | { readonly kind: 'steps'; readonly steps: readonly (readonly [fromDay: number, value: number])[] }
  /** The close of an instrument of the catalog. */
  | { readonly kind: 'close'; readonly ticker: string }
  /** A yield read off a bond price: y = start − (P / P0 − 1) / modified duration, in %. */
  | { readonly kind: 'yield'; readonly ticker: string; readonly startPct: number; readonly modifiedDuration: number }
  /** An index level walking like a price, loaded on the risk-off factor. */
  | {
      readonly kind: 'level';
      readonly start: number;
      readonly dailyVol: number;
      readonly riskOffBeta: number;
      readonly decimals: number;
    };

export interface CatalogSeries {
  readonly series: string;
  readonly model: SeriesModel;
}

export const MACRO_SERIES: readonly CatalogSeries[] = [
  { series: 'SELIC', model: { kind: 'steps', steps: [[0, 10.5], [62, 10.75]] } },
  { series: 'IPCA_12M', model: { kind: 'steps', steps: [[0, 4.23], [18, 4.42], [39, 4.5], [60, 4.76], [81, 4.87]] } },
  { series: 'USDBRL', model: { kind: 'close', ticker: 'USDBRL' } },
  { series: 'FED_FUNDS', model: { kind: 'steps', steps: [[0, 5.33], [45, 4.83]] } },
  { series: 'UST_10Y', model: { kind: 'yield', ticker: 'UST10Y', startPct: 4.25, modifiedDuration: 8 } },
  { series: 'VIX', model: { kind: 'level', start: 15.5, dailyVol: 0.045, riskOffBeta: 0.7, decimals: 2 } },
];

/** Where a proposal came from; DISCRETIONARY ones are the manager's own (conviction 1.0). */
export type SignalSource = 'CARRY_MODEL' | 'MOMENTUM_MODEL' | 'MEAN_REVERSION_MODEL' | 'DISCRETIONARY';

export interface ScriptedTrade {
  readonly ticker: string;
  readonly direction: Direction;
  readonly notionalBrl: number;
  readonly conviction: number;
  readonly signalSource: SignalSource;
  readonly strategyIds: readonly string[];
  readonly rationale: string;
}

export interface ScriptedPosition extends ScriptedTrade {
  readonly entryDay: number;
  /** Weights by strategy id, when the position is split unevenly between its strategies. */
  readonly strategyWeights?: Readonly<Record<string, number>>;
  /** The proposal asked for this size and the manager approved another one: status MODIFIED. */
  readonly proposedNotionalBrl?: number;
  readonly modifyNotes?: string;
  readonly close?: { readonly day: number; readonly outcomeNotes: string };
}

/** A proposal still waiting on asOf; `isFlip` when it reverses an open position (conviction ≥ 0.60). */
export interface ScriptedPending extends ScriptedTrade {
  readonly isFlip: boolean;
}

export interface ScriptedRejection extends ScriptedTrade {
  readonly day: number;
  readonly notes: string;
}

export interface FundScript {
  readonly code: string;
  readonly name: string;
  readonly aumBrl: number;
  readonly positions: readonly ScriptedPosition[];
  readonly pending: readonly ScriptedPending[];
  readonly rejections: readonly ScriptedRejection[];
}

/**
 * The main demo fund: a receive-fixed DI1, short USDBRL and sold CDS protection (long Brazil
 * risk), hedged in part by short ES and long USTs; two trades already closed. The trades come in
 * an order in which each passes the pre-trade checks the approve service applies (no asset class
 * at 50% or more of gross after the trade): the DI1 receiver waits until the book is big enough.
 */
export const MACRO_FUND_1: FundScript = {
  code: 'MACRO_FUND_1',
  name: 'Macro Fund I',
  aumBrl: 100_000_000,
  positions: [
    {
      ticker: 'USDBRL', direction: 'SHORT', notionalBrl: 20_000_000, entryDay: 2, conviction: 1.0,
      signalSource: 'DISCRETIONARY', strategyIds: ['FX_BR_01'],
      rationale: 'BRL carry at 7% over USD with exporters selling dollars; short USDBRL for carry.',
    },
    {
      ticker: 'IBOV_FUT', direction: 'LONG', notionalBrl: 15_000_000, entryDay: 3, conviction: 0.66,
      signalSource: 'MOMENTUM_MODEL', strategyIds: ['CROSS_01'],
      rationale: 'Ibovespa broke its 50-day range with foreign inflows; momentum long.',
    },
    {
      ticker: 'NTN_B_2035', direction: 'LONG', notionalBrl: 15_000_000, proposedNotionalBrl: 20_000_000,
      entryDay: 5, conviction: 0.71, signalSource: 'CARRY_MODEL', strategyIds: ['INF_BR_01', 'INF_02'],
      rationale: 'Real yields above 6% on the 2035 NTN-B: carry and value against breakevens.',
      modifyNotes: 'Sized down from 20M to 15M: the 2035 is thin and a DI1 receiver is coming.',
    },
    {
      // The domain marks a spread as a return on it (notional × (s / s0 − 1)), several times the
      // P&L of a real CDS of the same notional (duration × Δspread): hence the small size.
      ticker: 'CDS_BR_5Y', direction: 'SHORT', notionalBrl: 5_000_000, entryDay: 6, conviction: 1.0,
      signalSource: 'DISCRETIONARY', strategyIds: ['SOV_BR_01'],
      rationale: 'Sell Brazil 5y protection: spread wide of peers with the external accounts solid.',
    },
    {
      ticker: 'DI1F28', direction: 'LONG', notionalBrl: 50_000_000, entryDay: 8, conviction: 0.78,
      signalSource: 'CARRY_MODEL', strategyIds: ['RATES_BR_01', 'RATES_BR_02'],
      strategyWeights: { RATES_BR_01: 0.6, RATES_BR_02: 0.4 },
      rationale: 'Receive Jan-28: curve prices hikes beyond what the inflation path justifies; carry positive.',
    },
    {
      ticker: 'EMFX_CARRY', direction: 'LONG', notionalBrl: 10_000_000, entryDay: 10, conviction: 0.69,
      signalSource: 'CARRY_MODEL', strategyIds: ['CROSS_02', 'FX_03'],
      rationale: 'EM carry basket with realized vol at lows; diversifies the BRL carry.',
      close: {
        day: 45,
        outcomeNotes: 'Took profit into the Fed meeting: vol was picking up and the carry no longer paid for the risk.',
      },
    },
    {
      ticker: 'UST10Y', direction: 'LONG', notionalBrl: 10_000_000, entryDay: 15, conviction: 0.62,
      signalSource: 'MEAN_REVERSION_MODEL', strategyIds: ['SOV_01'],
      rationale: 'UST 10y yield two standard deviations above its 3-month mean; also a risk-off hedge.',
    },
    {
      ticker: 'DDIF28', direction: 'LONG', notionalBrl: 10_000_000, entryDay: 20, conviction: 0.7,
      signalSource: 'CARRY_MODEL', strategyIds: ['CUPOM_01'],
      rationale: 'FX coupon above the offshore dollar rate by more than the usual basis; receive the coupon.',
    },
    {
      ticker: 'ES', direction: 'SHORT', notionalBrl: 8_000_000, entryDay: 24, conviction: 1.0,
      signalSource: 'DISCRETIONARY', strategyIds: ['CROSS_01'],
      rationale: 'Short S&P as a hedge of the book\'s Brazil beta into the Fed meeting.',
    },
    {
      ticker: 'DI1F29', direction: 'SHORT', notionalBrl: 30_000_000, entryDay: 28, conviction: 1.0,
      signalSource: 'DISCRETIONARY', strategyIds: ['RATES_BR_03'],
      rationale: 'Pay Jan-29 against the Jan-28 receiver: fiscal premium should build in the long end.',
      close: { day: 60, outcomeNotes: 'Steepener closed before the COPOM: the long end did not price the fiscal risk.' },
    },
  ],
  pending: [
    {
      ticker: 'USDBRL', direction: 'LONG', notionalBrl: 15_000_000, conviction: 0.72, isFlip: true,
      signalSource: 'MOMENTUM_MODEL', strategyIds: ['FX_BR_01'],
      rationale: 'USDBRL momentum turned positive on the 20-day horizon against the open short.',
    },
    {
      ticker: 'DI1F29', direction: 'LONG', notionalBrl: 25_000_000, conviction: 0.86, isFlip: false,
      signalSource: 'CARRY_MODEL', strategyIds: ['RATES_BR_02'],
      rationale: 'Jan-29 carry and roll-down the best of the curve after the hike.',
    },
    {
      ticker: 'UST2Y', direction: 'LONG', notionalBrl: 8_000_000, conviction: 0.61, isFlip: false,
      signalSource: 'MEAN_REVERSION_MODEL', strategyIds: ['SOV_02'],
      rationale: 'Front end priced for fewer cuts than the dots after the Fed move.',
    },
    {
      ticker: 'NTN_B_2030', direction: 'LONG', notionalBrl: 10_000_000, conviction: 0.58, isFlip: false,
      signalSource: 'CARRY_MODEL', strategyIds: ['INF_03'],
      rationale: 'Breakevens on the 2030 below the IPCA 12m print; real carry attractive.',
    },
  ],
  rejections: [
    {
      ticker: 'IBOV_FUT', direction: 'LONG', notionalBrl: 10_000_000, day: 47, conviction: 0.64,
      signalSource: 'MOMENTUM_MODEL', strategyIds: ['CROSS_01'],
      rationale: 'Ibovespa momentum extended; add to the long.',
      notes: 'Equity beta already at the size of the thesis; revisit after the COPOM.',
    },
  ],
};

/** A second, smaller fund so that entitlements (who sees which portfolio) can be demonstrated. */
export const MACRO_FUND_2: FundScript = {
  code: 'MACRO_FUND_2',
  name: 'Macro Fund II',
  aumBrl: 50_000_000,
  positions: [
    {
      ticker: 'DI1N27', direction: 'LONG', notionalBrl: 20_000_000, entryDay: 20, conviction: 0.74,
      signalSource: 'CARRY_MODEL', strategyIds: ['RATES_BR_04'],
      rationale: 'Receive Jul-27: the front end prices more hikes than the COPOM signals.',
    },
    {
      ticker: 'DOL', direction: 'SHORT', notionalBrl: 10_000_000, entryDay: 30, conviction: 1.0,
      signalSource: 'DISCRETIONARY', strategyIds: ['FX_BR_01'],
      rationale: 'BRL carry through the front-month dollar future, sized for the smaller fund.',
    },
  ],
  pending: [],
  rejections: [],
};
