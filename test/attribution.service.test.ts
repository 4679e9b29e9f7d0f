import {
  aggregateSnapshots,
  computeAttribution,
  resolvePeriod,
  type AttributionPeriod,
  type PeriodRange,
  type TradeType,
} from '../src/domain/attribution';
import { dec, type Decimal } from '../src/domain/decimal';
import type { IsoDate, Portfolio } from '../src/domain/types';
import { listPositions } from '../src/data/position.repository';
import { sumPnlByPosition } from '../src/data/snapshot.repository';
import { getAttribution } from '../src/services/attribution.service';
import { PortfolioDirectory, readablePortfolio } from '../src/services/portfolios.service';
import { seedFund, type SeededFund } from './e2e/harness';
import { fixedClock } from './support/clock';
import { testDb } from './support/db';
import { DEMO_AS_OF, DEMO_NOW } from './support/demo';
import { actor, recordingDeps } from './support/factories';

const db = testDb();
const clock = fixedClock(DEMO_NOW);
const viewer = actor('VIEWER');

interface SnapshotRow {
  readonly date: IsoDate;
  readonly positionId: string;
  readonly dailyPnlBrl: Decimal;
}

let fund: SeededFund;
let portfolio: Portfolio;
/** Every snapshot row of the fund, read without the repository: the reference the sums must match. */
let rows: SnapshotRow[];
let dates: IsoDate[];

beforeAll(async () => {
  fund = await seedFund(db, 'ATTR');
  portfolio = await readablePortfolio(new PortfolioDirectory(db, clock), viewer, fund.code);
  const raw: { date: string; position_id: string; daily_pnl_brl: string }[] = await db('pnl_snapshots')
    .select('date', 'position_id', 'daily_pnl_brl')
    .where('portfolio_id', fund.id)
    .orderBy([{ column: 'date' }, { column: 'position_id' }]);
  rows = raw.map((r) => ({ date: r.date, positionId: r.position_id, dailyPnlBrl: dec(r.daily_pnl_brl) }));
  dates = [...new Set(rows.map((r) => r.date))];
}, 60_000);
afterAll(() => db.destroy());

/** A CUSTOM period whose first and last days both have snapshots, with snapshot days outside it on either side. */
function customBounds(): { from: IsoDate; to: IsoDate } {
  const from = dates[10];
  const to = dates[dates.length - 10];
  if (from === undefined || to === undefined) throw new Error(`the seed wrote only ${dates.length} snapshot days`);
  return { from, to };
}

function rangeOf(period: AttributionPeriod): PeriodRange {
  const custom = period === 'CUSTOM' ? customBounds() : {};
  return resolvePeriod(period, DEMO_AS_OF, { inceptionDate: portfolio.inceptionDate, ...custom });
}

const entries = (m: ReadonlyMap<string, Decimal>): [string, string][] =>
  [...m].map(([id, pnl]): [string, string] => [id, pnl.toFixed()]).sort(([a], [b]) => (a < b ? -1 : 1));

/** Decimals as their strings, so that equal values compare equal whatever their history. */
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

/** The service's rule, read with plain SQL: a position from a DISCRETIONARY proposal (or none) is discretionary. */
async function tradeTypeByPosition(): Promise<Map<string, TradeType>> {
  const found: { id: string; signal_source: string | null }[] = await db('positions as p')
    .leftJoin('trade_proposals as tp', 'tp.id', 'p.proposal_id')
    .select('p.id', 'tp.signal_source')
    .where('p.portfolio_id', fund.id);
  const discretionary = (source: string | null) => source === null || source === 'DISCRETIONARY';
  return new Map(found.map((r) => [r.id, discretionary(r.signal_source) ? 'DISCRETIONARY' : 'SYSTEMATIC']));
}

describe.each<AttributionPeriod>(['MTD', 'INCEPTION', 'CUSTOM'])('attribution over %s', (period) => {
  it('sums P&L per position in Postgres exactly as adding the rows in range does', async () => {
    const range = rangeOf(period);
    const expected = aggregateSnapshots(rows, range).pnlByPosition;
    const actual = await sumPnlByPosition(db, fund.id, { from: range.start, to: range.end });
    // Several positions, and rows outside the period that must not count.
    expect(expected.size).toBeGreaterThanOrEqual(2);
    if (period !== 'INCEPTION') expect(rows.some((r) => r.date < range.start || r.date > range.end)).toBe(true);
    expect(entries(actual)).toEqual(entries(expected));
  });

  it('gives the attribution that the domain computes from every snapshot row', async () => {
    const range = rangeOf(period);
    const actual = await getAttribution(recordingDeps(db, clock), viewer, {
      portfolioId: fund.code,
      period,
      asOf: DEMO_AS_OF,
      ...(period === 'CUSTOM' ? customBounds() : {}),
    });
    const expected = computeAttribution({
      portfolio,
      range,
      positions: await listPositions(db, { portfolioIds: [fund.id] }),
      ...aggregateSnapshots(rows, range),
      tradeTypeByPosition: await tradeTypeByPosition(),
    });
    expect(expected.byInstrument.length).toBeGreaterThanOrEqual(2);
    expect(expected.totalPnlBrl.isZero()).toBe(false);
    expect(plain(actual)).toEqual(plain(expected));
  });
});
