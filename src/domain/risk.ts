import { exposureOf, requirePositiveAum } from './book';
import { businessDaysBetween } from './dates';
import type { Decimal } from './decimal';
import { dec, money, sum, ZERO } from './decimal';
import { matchByTicker, PU_FACE, puFromRate, sign } from './pricing';
import { dailySeries, lowerTail, mean, percentOf, runningDrawdown, sampleStd } from './stats';
import type { AssetClass, DailyPnl, IsoDate, Position, RiskSnapshot, RiskStatus } from './types';
import { ASSET_CLASSES, assertNever } from './types';

/*
 * Units used throughout this module:
 *  - `...Pct` fields are percentages as plain numbers: 1.23 means 1.23%.
 *  - leverage figures are multiples of AUM: 1.5 means 1.5× AUM.
 *  - `utilization` is value / limit as a ratio: 0.85 means 85% of the limit used.
 *  - `...Brl` fields are exact Decimals.
 */

// ---------------------------------------------------------------------------------------------
// Limits

export interface RiskLimits {
  /** Parametric VaR 95 limit, % of AUM. */
  readonly var95Pct: number;
  /** Parametric VaR 99 limit, % of AUM. */
  readonly var99Pct: number;
  /** Gross leverage limit, × AUM. */
  readonly grossLeverage: number;
  /** Net leverage limit, × AUM, applied to |net|. */
  readonly netLeverage: number;
  /** Current drawdown that turns the drawdown check WARNING, % of AUM. */
  readonly drawdownWarningPct: number;
  /** Current drawdown that breaches the limit, % of AUM. */
  readonly drawdownLimitPct: number;
  /** Maximum share of gross exposure per asset class, %. */
  readonly concentrationPctOfGross: Readonly<Record<AssetClass, number>>;
  /** Utilization (ratio) at which every check but drawdown turns WARNING. */
  readonly warningUtilization: number;
}

export const DEFAULT_RISK_LIMITS: RiskLimits = {
  var95Pct: 2,
  var99Pct: 3,
  grossLeverage: 4,
  netLeverage: 2,
  drawdownWarningPct: 5,
  drawdownLimitPct: 10,
  concentrationPctOfGross: {
    RATES: 60,
    FX: 40,
    INFLATION: 30,
    SOVEREIGN: 20,
    CREDIT: 20,
    EQUITY: 30,
    // No specific limit: 100% of gross.
    CUPOM: 100,
    CROSS_ASSET: 100,
  },
  warningUtilization: 0.8,
};

/** Below this many daily observations VaR is not estimated at all. */
export const MIN_VAR_OBSERVATIONS = 20;

/** Standard normal quantiles of the left tail. */
const Z_95 = -1.6449;
const Z_99 = -2.3263;

// ---------------------------------------------------------------------------------------------
// Result types

export interface RiskInput {
  readonly portfolioId: string;
  readonly asOf: IsoDate;
  readonly aumBrl: Decimal;
  /** The portfolio's daily P&L (Σ dailyPnl per date); may run past asOf and be unsorted. */
  readonly dailyPnl: readonly DailyPnl[];
  /** Open positions at asOf. */
  readonly positions: readonly Position[];
  readonly limits: RiskLimits;
}

/**
 * Value at risk as a loss in % of AUM (a positive number is a loss). All figures are null when
 * there are fewer than MIN_VAR_OBSERVATIONS observations, and `unavailableReason` says why.
 */
export interface ValueAtRisk {
  /** Number of daily observations (distinct dates ≤ asOf) the estimates use. */
  readonly observations: number;
  /** |μ + σ·z|, z = −1.6449; σ the sample std of daily returns on AUM. */
  readonly parametric95Pct: number | null;
  /** |μ + σ·z|, z = −2.3263. */
  readonly parametric99Pct: number | null;
  /**
   * Loss at the empirical 5% quantile (inverse empirical CDF: the ⌈0.05·n⌉-th worst day, no
   * interpolation), floored at 0: when even that day is a gain there is no loss to report.
   */
  readonly historical95Pct: number | null;
  /** Loss at the ⌈0.01·n⌉-th worst day, floored at 0. */
  readonly historical99Pct: number | null;
  /** Expected shortfall: mean loss over the same ⌈0.05·n⌉ worst days, floored at 0. */
  readonly cvar95Pct: number | null;
  /** Mean loss over the ⌈0.01·n⌉ worst days, floored at 0. */
  readonly cvar99Pct: number | null;
  readonly unavailableReason: string | null;
}

export interface Leverage {
  readonly grossExposureBrl: Decimal;
  /** long − short, BRL; negative when net short. */
  readonly netExposureBrl: Decimal;
  readonly longExposureBrl: Decimal;
  /** Positive amount. */
  readonly shortExposureBrl: Decimal;
  /** gross / AUM, × AUM. */
  readonly gross: number;
  /** (long − short) / AUM, × AUM, signed. */
  readonly net: number;
}

export interface Drawdown {
  /** Σ daily P&L up to asOf, BRL. */
  readonly cumulativePnlBrl: Decimal;
  /** Highest cumulative P&L reached, BRL; starts at 0, so never negative. */
  readonly highWaterMarkBrl: Decimal;
  /** (high-water mark − cumulative P&L) / AUM × 100, ≥ 0. */
  readonly currentPct: number;
  /** Largest drawdown along the path, % of AUM. */
  readonly maxPct: number;
  /** Consecutive observations since the last peak; 0 when at a peak. */
  readonly daysInDrawdown: number;
}

export interface ConcentrationRow {
  readonly assetClass: AssetClass;
  readonly grossNotionalBrl: Decimal;
  /** Share of the book's gross exposure, %. */
  readonly pctOfGross: number;
  readonly limitPct: number;
  readonly utilization: number;
  readonly status: RiskStatus;
}

export interface TopPosition {
  readonly positionId: string;
  readonly ticker: string;
  readonly notionalBrl: Decimal;
  /** Share of gross exposure, %. */
  readonly pctOfGross: number;
}

export interface Concentration {
  /** Asset classes present in the book, in ASSET_CLASSES order. */
  readonly byAssetClass: readonly ConcentrationRow[];
  /** The three largest positions by notional (fewer if the book is smaller). */
  readonly topPositions: readonly TopPosition[];
  /** Their combined share of gross exposure, %. */
  readonly top3PctOfGross: number;
}

export const STRESS_FACTORS = ['USDBRL', 'DI_PRE', 'NTN_B', 'IBOV', 'UST', 'SP500', 'CDS_BR', 'OIL'] as const;
export type StressFactor = (typeof STRESS_FACTORS)[number];

export interface StressScenario {
  readonly id: string;
  readonly name: string;
  /**
   * Shock per factor in %. For a price factor +15 means the price rises 15%; for a RATES position
   * with a rate and business days, a DI_PRE shock of +2 means the rate rises 2 percentage points.
   */
  readonly shocksPct: Readonly<Partial<Record<StressFactor, number>>>;
}

export const STRESS_SCENARIOS: readonly StressScenario[] = [
  {
    id: 'TAPER_TANTRUM_2013',
    name: 'Taper Tantrum 2013',
    shocksPct: { USDBRL: 15, DI_PRE: 2, NTN_B: -8, IBOV: -15, UST: 1 },
  },
  {
    id: 'BR_CRISIS_2015',
    name: 'BR Crisis 2015',
    shocksPct: { USDBRL: 30, DI_PRE: 4, NTN_B: -15, IBOV: -25 },
  },
  {
    id: 'COVID_2020',
    name: 'COVID 2020',
    shocksPct: { USDBRL: 20, DI_PRE: 2, IBOV: -35, SP500: -30, OIL: -50 },
  },
  {
    id: 'RATE_SHOCK_2022',
    name: 'Rate Shock 2022',
    shocksPct: { USDBRL: 25, DI_PRE: 5, NTN_B: -12 },
  },
  {
    id: 'BR_FISCAL_CRISIS',
    name: 'BR Fiscal Crisis',
    shocksPct: { USDBRL: 25, DI_PRE: 3.5, NTN_B: -10, IBOV: -18, CDS_BR: 40 },
  },
  {
    id: 'GLOBAL_RISK_OFF',
    name: 'Global Risk-Off',
    shocksPct: { USDBRL: 20, DI_PRE: 1.5, IBOV: -30, SP500: -25, OIL: -40, UST: -0.5, CDS_BR: 30 },
  },
];

/**
 * Ticker (exact, then longest prefix, via matchByTicker) → the factor its price moves with.
 * Instruments that match nothing are not shocked by any scenario.
 */
export const STRESS_FACTOR_BY_TICKER: Readonly<Record<string, StressFactor>> = {
  DI1: 'DI_PRE',
  DI_PRE: 'DI_PRE',
  USDBRL: 'USDBRL',
  DOL: 'USDBRL',
  NDF: 'USDBRL',
  NTN_B: 'NTN_B',
  IBOV: 'IBOV',
  UST: 'UST',
  ZN: 'UST',
  ZF: 'UST',
  ES: 'SP500',
  SP500: 'SP500',
  CDS_BR: 'CDS_BR',
  OIL: 'OIL',
  CL: 'OIL',
};

/**
 * How a shock became P&L: RATE_MOVE repriced the current PU at the shocked rate; RATE_MOVE_UNIT_DURATION
 * applied a rate shock to a RATES position without rate data as a price move of a one-year
 * duration on its current PU (ΔPU/PU ≈ −Δr); NOTIONAL_RETURN moved the current price by the shock.
 */
export type StressMethod = 'RATE_MOVE' | 'RATE_MOVE_UNIT_DURATION' | 'NOTIONAL_RETURN';

export interface StressContribution {
  readonly positionId: string;
  readonly ticker: string;
  readonly factor: StressFactor;
  readonly shockPct: number;
  readonly method: StressMethod;
  readonly pnlBrl: Decimal;
}

export interface StressResult {
  readonly scenarioId: string;
  readonly name: string;
  readonly pnlBrl: Decimal;
  /** pnl / AUM × 100; negative is a loss. */
  readonly pnlPctOfAum: number;
  /** Only the positions the scenario shocks; the others contribute 0. */
  readonly contributions: readonly StressContribution[];
}

export const LIMIT_CHECKS = ['VAR_95', 'VAR_99', 'GROSS_LEVERAGE', 'NET_LEVERAGE', 'DRAWDOWN'] as const;
export type LimitCheckName = (typeof LIMIT_CHECKS)[number];
/** Every check that can raise an alert: the limit checks and one concentration check per class. */
export type RiskCheckName = LimitCheckName | `CONCENTRATION_${AssetClass}`;

export interface LimitCheck {
  readonly check: LimitCheckName;
  /**
   * VaR and drawdown in % of AUM, leverage in × AUM (net leverage signed). Null for VaR when it is
   * unavailable; such a check is OK with null utilization.
   */
  readonly value: number | null;
  readonly limit: number;
  /** |value| / limit; null with the value. */
  readonly utilization: number | null;
  readonly status: RiskStatus;
}

export interface RiskAlert {
  readonly check: RiskCheckName;
  readonly status: Exclude<RiskStatus, 'OK'>;
  readonly message: string;
  readonly value: number;
  readonly limit: number;
}

export interface RiskLive {
  readonly portfolioId: string;
  readonly asOf: IsoDate;
  readonly aumBrl: Decimal;
  readonly var: ValueAtRisk;
  readonly leverage: Leverage;
  readonly drawdown: Drawdown;
  readonly concentration: Concentration;
  readonly stress: readonly StressResult[];
  /** In LIMIT_CHECKS order. */
  readonly limits: readonly LimitCheck[];
  /** One per limit or concentration check in WARNING or BREACHED, BREACHED first. */
  readonly alerts: readonly RiskAlert[];
  /** Worst status over the limit and concentration checks. */
  readonly overallStatus: RiskStatus;
}

// ---------------------------------------------------------------------------------------------
// Computation

export function computeRiskLive(input: RiskInput): RiskLive {
  const { portfolioId, asOf, aumBrl, positions, limits } = input;
  requirePositiveAum(aumBrl);
  const series = dailySeries(input.dailyPnl, { end: asOf });

  const valueAtRisk = computeVar(series, aumBrl);
  const leverage = computeLeverage(positions, aumBrl);
  const drawdown = computeDrawdown(series, aumBrl);
  const concentration = computeConcentration(positions, limits);
  const limitChecks = checkLimits(valueAtRisk, leverage, drawdown, limits);
  const alerts = collectAlerts(limitChecks, concentration.byAssetClass);
  const statuses = [...limitChecks.map((c) => c.status), ...concentration.byAssetClass.map((c) => c.status)];

  return {
    portfolioId,
    asOf,
    aumBrl,
    var: valueAtRisk,
    leverage,
    drawdown,
    concentration,
    stress: STRESS_SCENARIOS.map((scenario) => runStress(scenario, positions, aumBrl)),
    limits: limitChecks,
    alerts,
    overallStatus: worstStatus(statuses),
  };
}

/** The fields of the day's RiskSnapshot row: VaR is the parametric figure, drawdown the current one. */
export function toRiskSnapshot(risk: RiskLive): RiskSnapshot {
  return {
    portfolioId: risk.portfolioId,
    date: risk.asOf,
    var95: risk.var.parametric95Pct,
    var99: risk.var.parametric99Pct,
    grossLeverage: risk.leverage.gross,
    drawdownPct: risk.drawdown.currentPct,
    alertCount: risk.alerts.length,
    overallStatus: risk.overallStatus,
  };
}

function computeVar(series: readonly DailyPnl[], aumBrl: Decimal): ValueAtRisk {
  const observations = series.length;
  if (observations < MIN_VAR_OBSERVATIONS) {
    return {
      observations,
      parametric95Pct: null,
      parametric99Pct: null,
      historical95Pct: null,
      historical99Pct: null,
      cvar95Pct: null,
      cvar99Pct: null,
      unavailableReason:
        `VaR needs at least ${MIN_VAR_OBSERVATIONS} daily P&L observations; ` +
        `${observations} available up to the as-of date`,
    };
  }
  // Returns on AUM as fractions; floats are fine here, VaR is a statistic, not money.
  const returns = series.map((p) => p.pnlBrl.div(aumBrl).toNumber());
  const mu = mean(returns);
  const sigma = sampleStd(returns);
  const tail95 = lowerTail(returns, 0.95);
  const tail99 = lowerTail(returns, 0.99);
  return {
    observations,
    parametric95Pct: Math.abs(mu + sigma * Z_95) * 100,
    parametric99Pct: Math.abs(mu + sigma * Z_99) * 100,
    historical95Pct: tail95 === null ? null : lossPct(tail95.quantile),
    historical99Pct: tail99 === null ? null : lossPct(tail99.quantile),
    cvar95Pct: tail95 === null ? null : lossPct(tail95.tailMean),
    cvar99Pct: tail99 === null ? null : lossPct(tail99.tailMean),
    unavailableReason: null,
  };
}

/** A return (fraction, negative = loss) as a loss in %, 0 when it is a gain. */
function lossPct(returnFraction: number): number {
  return Math.max(0, -returnFraction) * 100;
}

function computeLeverage(positions: readonly Position[], aumBrl: Decimal): Leverage {
  const e = exposureOf(positions);
  return {
    grossExposureBrl: e.grossBrl,
    netExposureBrl: e.netBrl,
    longExposureBrl: e.longBrl,
    shortExposureBrl: e.shortBrl,
    gross: e.grossBrl.div(aumBrl).toNumber(),
    net: e.netBrl.div(aumBrl).toNumber(),
  };
}

function computeDrawdown(series: readonly DailyPnl[], aumBrl: Decimal): Drawdown {
  // The path is cumulative P&L; the high-water mark starts at 0 (the fund's starting AUM), so a
  // fund that has only lost is in drawdown from its first day.
  const cumulative: Decimal[] = [];
  let running = ZERO;
  for (const p of series) {
    running = running.plus(p.pnlBrl);
    cumulative.push(running);
  }
  const points = runningDrawdown(cumulative, ZERO);
  const last = points[points.length - 1];
  let maxBrl = ZERO;
  for (const p of points) if (p.drawdown.gt(maxBrl)) maxBrl = p.drawdown;
  let daysInDrawdown = 0;
  for (let i = points.length - 1; i >= 0 && points[i]?.drawdown.gt(0) === true; i--) daysInDrawdown++;

  return {
    cumulativePnlBrl: running,
    highWaterMarkBrl: last?.peak ?? ZERO,
    currentPct: percentOf(last?.drawdown ?? ZERO, aumBrl),
    maxPct: percentOf(maxBrl, aumBrl),
    daysInDrawdown,
  };
}

function computeConcentration(positions: readonly Position[], limits: RiskLimits): Concentration {
  const gross = exposureOf(positions).grossBrl;
  const byAssetClass: ConcentrationRow[] = [];
  for (const assetClass of ASSET_CLASSES) {
    const inClass = positions.filter((p) => p.assetClass === assetClass);
    if (inClass.length === 0) continue;
    const classGross = exposureOf(inClass).grossBrl;
    const pctOfGross = percentOf(classGross, gross);
    const limitPct = limits.concentrationPctOfGross[assetClass];
    const utilization = pctOfGross / limitPct;
    byAssetClass.push({
      assetClass,
      grossNotionalBrl: classGross,
      pctOfGross,
      limitPct,
      utilization,
      status: statusFor(utilization, limits.warningUtilization),
    });
  }

  // Largest first; ties broken by id so the top three never depend on input order.
  const ranked = [...positions].sort(
    (a, b) => b.notionalBrl.abs().comparedTo(a.notionalBrl.abs()) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  const topPositions = ranked.slice(0, 3).map((p) => ({
    positionId: p.id,
    ticker: p.ticker,
    notionalBrl: p.notionalBrl.abs(),
    pctOfGross: percentOf(p.notionalBrl.abs(), gross),
  }));
  return {
    byAssetClass,
    topPositions,
    top3PctOfGross: percentOf(sum(topPositions.map((p) => p.notionalBrl)), gross),
  };
}

function runStress(scenario: StressScenario, positions: readonly Position[], aumBrl: Decimal): StressResult {
  const contributions: StressContribution[] = [];
  for (const position of positions) {
    const factor = matchByTicker(STRESS_FACTOR_BY_TICKER, position.ticker);
    if (factor === undefined) continue;
    const shockPct = scenario.shocksPct[factor];
    if (shockPct === undefined) continue;
    contributions.push({ positionId: position.id, ticker: position.ticker, factor, shockPct, ...shockPnl(position, shockPct) });
  }
  const pnlBrl = sum(contributions.map((c) => c.pnlBrl));
  return {
    scenarioId: scenario.id,
    name: scenario.name,
    pnlBrl,
    pnlPctOfAum: percentOf(pnlBrl, aumBrl),
    contributions,
  };
}

/**
 * P&L of one position under one shock, from its current mark (`currentPrice` as of
 * `lastMarkDate`): a scenario moves today's market, not the market of the entry day. The formulas,
 * their sources and a worked case per asset class are in src/domain/README.md ("Stress").
 *
 * - RATES with a rate and business days (RATE_MOVE): du = business days to maturity at the mark
 *   date (businessDays at entry − weekdays elapsed from entry to the mark); the current rate is
 *   implied from the current PU, r = ((100000 / PU)^(252/du) − 1) × 100; the shock moves it by
 *   shockPct percentage points: pnl = (PU(r + Δ, du) − PU) × notional / 100000 × sign, so a LONG
 *   (receive fixed) loses when rates rise. At or past maturity (du ≤ 0) there is no rate risk left.
 * - RATES without rate data (RATE_MOVE_UNIT_DURATION): cannot be repriced; taking the rate shock as
 *   a return on notional would read a rate rise as a PU rise (a gain for a receive-fixed LONG, the
 *   wrong sign), so it is a price move of a one-year duration on the current PU:
 *   pnl = −PU × Δr / 100 × notional / 100000 × sign.
 * - Everything else (NOTIONAL_RETURN): the current price moves by shockPct %, and P&L is linear in
 *   the price (notional × (price / entry − 1) × sign), so pnl = notional × sign × (current / entry)
 *   × shockPct / 100: the shock applied to the position's current value, not its entry notional.
 *
 * Every contribution is at the money scale, so a scenario's total is the sum of what it lists.
 */
export function shockPnl(
  position: Pick<Position, 'assetClass' | 'direction' | 'notionalBrl' | 'entryPrice' | 'entryDate' | 'currentPrice' | 'lastMarkDate' | 'ratePct' | 'businessDays'>,
  shockPct: number,
): { method: StressMethod; pnlBrl: Decimal } {
  const s = sign(position.direction);
  const current = position.currentPrice;
  const shock = dec(shockPct);
  const { ratePct, businessDays } = position;
  if (position.assetClass === 'RATES' && ratePct !== null && businessDays !== null) {
    const du = businessDays - businessDaysBetween(position.entryDate, position.lastMarkDate ?? position.entryDate);
    if (du <= 0) return { method: 'RATE_MOVE', pnlBrl: ZERO };
    const currentRatePct = PU_FACE.div(current).pow(dec(252).div(du)).minus(1).times(100);
    const shocked = puFromRate(currentRatePct.plus(shock), du);
    return { method: 'RATE_MOVE', pnlBrl: money(shocked.minus(current).times(position.notionalBrl).div(PU_FACE).times(s)) };
  }
  if (position.assetClass === 'RATES') {
    const pnl = current.times(shock).div(100).times(position.notionalBrl).div(PU_FACE).times(s).neg();
    return { method: 'RATE_MOVE_UNIT_DURATION', pnlBrl: money(pnl) };
  }
  const pnl = position.notionalBrl.times(s).times(current.div(position.entryPrice)).times(shock).div(100);
  return { method: 'NOTIONAL_RETURN', pnlBrl: money(pnl) };
}

function checkLimits(
  valueAtRisk: ValueAtRisk,
  leverage: Leverage,
  drawdown: Drawdown,
  limits: RiskLimits,
): LimitCheck[] {
  return LIMIT_CHECKS.map((check): LimitCheck => {
    switch (check) {
      case 'VAR_95':
        return limitCheck(check, valueAtRisk.parametric95Pct, limits.var95Pct, limits.warningUtilization);
      case 'VAR_99':
        return limitCheck(check, valueAtRisk.parametric99Pct, limits.var99Pct, limits.warningUtilization);
      case 'GROSS_LEVERAGE':
        return limitCheck(check, leverage.gross, limits.grossLeverage, limits.warningUtilization);
      case 'NET_LEVERAGE':
        // A net short book is as leveraged as a net long one: utilization uses |net|.
        return limitCheck(check, leverage.net, limits.netLeverage, limits.warningUtilization);
      case 'DRAWDOWN':
        // Drawdown has its own warning level (5% against a 10% limit) instead of the 80% rule.
        return limitCheck(
          check,
          drawdown.currentPct,
          limits.drawdownLimitPct,
          limits.drawdownWarningPct / limits.drawdownLimitPct,
        );
      default:
        return assertNever(check, 'limit check');
    }
  });
}

function limitCheck(check: LimitCheckName, value: number | null, limit: number, warningUtilization: number): LimitCheck {
  if (value === null) return { check, value: null, limit, utilization: null, status: 'OK' };
  const utilization = Math.abs(value) / limit;
  return { check, value, limit, utilization, status: statusFor(utilization, warningUtilization) };
}

function statusFor(utilization: number, warningUtilization: number): RiskStatus {
  if (utilization >= 1) return 'BREACHED';
  if (utilization >= warningUtilization) return 'WARNING';
  return 'OK';
}

const STATUS_SEVERITY: Readonly<Record<RiskStatus, number>> = { OK: 0, WARNING: 1, BREACHED: 2 };

function worstStatus(statuses: readonly RiskStatus[]): RiskStatus {
  let worst: RiskStatus = 'OK';
  for (const s of statuses) if (STATUS_SEVERITY[s] > STATUS_SEVERITY[worst]) worst = s;
  return worst;
}

const CHECK_LABELS: Readonly<Record<LimitCheckName, string>> = {
  VAR_95: 'VaR 95',
  VAR_99: 'VaR 99',
  GROSS_LEVERAGE: 'Gross leverage',
  NET_LEVERAGE: 'Net leverage',
  DRAWDOWN: 'Drawdown',
};

function formatCheckValue(check: LimitCheckName, value: number): string {
  switch (check) {
    case 'VAR_95':
    case 'VAR_99':
    case 'DRAWDOWN':
      return `${value.toFixed(2)}% of AUM`;
    case 'GROSS_LEVERAGE':
    case 'NET_LEVERAGE':
      return `${value.toFixed(2)}x AUM`;
    default:
      return assertNever(check, 'limit check');
  }
}

/**
 * One alert per check in WARNING or BREACHED (fix: the older system could raise the same check
 * twice). Keyed by check name, so a check can never appear twice; BREACHED alerts come first.
 */
function collectAlerts(limitChecks: readonly LimitCheck[], concentration: readonly ConcentrationRow[]): RiskAlert[] {
  const byCheck = new Map<RiskCheckName, RiskAlert>();
  for (const c of limitChecks) {
    if (c.status === 'OK' || c.value === null) continue;
    const limitText = formatCheckValue(c.check, c.limit);
    byCheck.set(c.check, {
      check: c.check,
      status: c.status,
      message: `${CHECK_LABELS[c.check]} ${formatCheckValue(c.check, c.value)} is ${describe(c.status)} the limit of ${limitText}`,
      value: c.value,
      limit: c.limit,
    });
  }
  for (const row of concentration) {
    if (row.status === 'OK') continue;
    const check: RiskCheckName = `CONCENTRATION_${row.assetClass}`;
    byCheck.set(check, {
      check,
      status: row.status,
      message:
        `${row.assetClass} is ${row.pctOfGross.toFixed(2)}% of gross exposure, ` +
        `${describe(row.status)} the limit of ${row.limitPct.toFixed(2)}%`,
      value: row.pctOfGross,
      limit: row.limitPct,
    });
  }
  return [...byCheck.values()].sort((a, b) => STATUS_SEVERITY[b.status] - STATUS_SEVERITY[a.status]);
}

function describe(status: Exclude<RiskStatus, 'OK'>): string {
  switch (status) {
    case 'WARNING':
      return 'near';
    case 'BREACHED':
      return 'at or over';
    default:
      return assertNever(status, 'risk status');
  }
}
