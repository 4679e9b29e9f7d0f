// The benchmark's data: a dedicated `pms_bench` database, migrated like any other, filled with
// set-based SQL (INSERT … SELECT over generate_series): one big book and many small ones for the
// all-miss path, and the 50 books of the desk scenario. `bench_meta` rows record the data
// versions (one for the desk books), so a second run reuses the data; the desk books, which the
// desk scenario writes to, are put back as generated before each of its runs (`resetDesk`).
import pg from 'pg';
import { createDb, migrateLatest, type Db } from '../src/data/db';
import { businessDayOnOrBefore, systemClock, today } from '../src/domain/dates';
import { BENCH_DATABASE_URL, BENCH_DB_NAME, BIG_PORTFOLIO, DESK_RETIRED_PORTFOLIO, deskPortfolioCode, missPortfolioCode, PG_BASE_URL } from './common';

/**
 * The shape of the data. Changing any of it changes DATA_VERSION, which makes the next run drop
 * and regenerate the database instead of reusing it.
 */
export const DATA_SHAPE = {
  /** Business days of history of the big book (one P&L snapshot per position and day). */
  historyDays: 250,
  bigPositions: 200,
  instruments: 40,
  /** Portfolios of the all-miss path: each request asks for the next one. */
  missPortfolios: 3_000,
  missPositions: 20,
  missDays: 60,
} as const;

export const DATA_VERSION = `v1:${Object.values(DATA_SHAPE).join('.')}`;

/**
 * The books of the desk scenario (on DATA_SHAPE's instruments). Changing any of it changes
 * DESK_DATA_VERSION: the next run retires the desk books it finds (renamed out of the way, never
 * read again) and generates new ones, reusing the rest of the data.
 */
export const DESK_SHAPE = {
  portfolios: 50,
  /** Open positions of a book: from min to max, a deterministic function of the book's number. */
  minPositions: 12,
  maxPositions: 60,
  /** Business days of history; each position enters on a day of it (at least 5 before its end). */
  historyDays: 250,
} as const;

export const DESK_DATA_VERSION = `desk-v1:${Object.values(DESK_SHAPE).join('.')}`;

export interface BenchData {
  readonly reused: boolean;
  /** Last business day of the history (the day the data was generated). */
  readonly historyEnd: string;
  readonly generatedAt: string;
  readonly bigPortfolio: string;
  readonly missPortfolios: readonly string[];
  /** The desk scenario's books, BENCH_DESK_01 … 50, and the last business day of their history. */
  readonly deskPortfolios: readonly string[];
  readonly deskHistoryEnd: string;
  readonly rows: Readonly<Record<string, number>>;
  readonly seconds: number;
}

/**
 * Instrument families: the ticker prefix decides cost bps and which stress factor moves the price
 * (matchByTicker in the domain), so tickers are `<family>_BENCH_<nnn>`, e.g. DI1_BENCH_011.
 * Strategy ids are the domain's, so attribution by strategy and factor has real rows.
 */
const FAMILIES: ReadonlyArray<{ family: string; assetClass: string; convention: string; basePrice: number; strategies: readonly string[] }> = [
  { family: 'CDS_BR', assetClass: 'CREDIT', convention: 'SPREAD_BPS', basePrice: 150, strategies: ['SOV_BR_01', 'SOV_03'] },
  { family: 'DDI', assetClass: 'CUPOM', convention: 'PU', basePrice: 95_000, strategies: ['CUPOM_01', 'CUPOM_02'] },
  { family: 'DI1', assetClass: 'RATES', convention: 'PU', basePrice: 85_000, strategies: ['RATES_BR_01', 'RATES_BR_02', 'RATES_BR_03', 'RATES_BR_04'] },
  { family: 'DOL', assetClass: 'FX', convention: 'SPOT', basePrice: 5.2, strategies: ['FX_BR_01', 'FX_02', 'FX_03', 'FX_04', 'FX_05'] },
  { family: 'EMFX', assetClass: 'CROSS_ASSET', convention: 'PRICE', basePrice: 100, strategies: ['CROSS_01', 'CROSS_02'] },
  { family: 'IBOV', assetClass: 'EQUITY', convention: 'PRICE', basePrice: 130, strategies: ['CROSS_01'] },
  { family: 'NTN_B', assetClass: 'INFLATION', convention: 'PRICE', basePrice: 4_300, strategies: ['INF_BR_01', 'INF_02', 'INF_03'] },
  { family: 'UST', assetClass: 'SOVEREIGN', convention: 'PRICE', basePrice: 98, strategies: ['SOV_01', 'SOV_02'] },
];

const COUNT = new Intl.NumberFormat('en-US');

/** The instruments the data creates (as createInstrumentsTable does), with their first strategy. */
export function benchInstruments(): { ticker: string; assetClass: string; basePrice: string; strategyId: string }[] {
  const perFamily = Math.ceil(DATA_SHAPE.instruments / FAMILIES.length);
  return FAMILIES.flatMap((f, ord) =>
    Array.from({ length: perFamily }, (_, i) => ({
      ticker: `${f.family}_BENCH_${String(ord * perFamily + i + 1).padStart(3, '0')}`,
      assetClass: f.assetClass,
      basePrice: (Math.round(f.basePrice * (1 + i * 0.01) * 1e8) / 1e8).toString(),
      strategyId: f.strategies[0]!,
    })),
  );
}

/** Creates, migrates and fills the bench database unless it already holds this data version. */
export async function ensureBenchData(log: (line: string) => void): Promise<BenchData> {
  const started = Date.now();
  await ensureDatabase(false);
  let db = createDb({ kind: 'postgres', url: BENCH_DATABASE_URL, poolMax: 2 });
  try {
    await migrateLatest(db);
    await db.raw('create table if not exists bench_meta (key text primary key, value text not null)');
    const meta = await readMeta(db);
    if (meta.get('version') === DATA_VERSION) {
      log(`data: reused (${DATA_VERSION}, generated ${meta.get('generated_at') ?? '?'}, history to ${meta.get('history_end') ?? '?'})`);
      await ensureDeskData(db, meta, log);
      return await describe(db, await readMeta(db), true, started);
    }
    if (meta.size > 0 || (await hasRows(db))) {
      log(`data: version ${meta.get('version') ?? 'unknown'} found, ${DATA_VERSION} wanted: dropping ${BENCH_DB_NAME}`);
      await db.destroy();
      await ensureDatabase(true);
      db = createDb({ kind: 'postgres', url: BENCH_DATABASE_URL, poolMax: 2 });
      await migrateLatest(db);
      await db.raw('create table if not exists bench_meta (key text primary key, value text not null)');
    }
    await generate(db, log);
    await ensureDeskData(db, await readMeta(db), log);
    const data = await describe(db, await readMeta(db), false, started);
    log(`data: generated in ${data.seconds.toFixed(1)} s`);
    return data;
  } finally {
    await db.destroy();
  }
}

/** Creates `pms_bench` when missing (or drops and recreates it) through the `postgres` database. */
async function ensureDatabase(recreate: boolean): Promise<void> {
  const admin = new pg.Client({ connectionString: `${PG_BASE_URL}/postgres` });
  await admin.connect();
  try {
    if (recreate) await admin.query(`drop database if exists ${BENCH_DB_NAME} with (force)`);
    const found = await admin.query('select 1 from pg_database where datname = $1', [BENCH_DB_NAME]);
    if (found.rowCount === 0) await admin.query(`create database ${BENCH_DB_NAME}`);
  } finally {
    await admin.end();
  }
}

async function readMeta(db: Db): Promise<Map<string, string>> {
  const rows: { key: string; value: string }[] = await db('bench_meta').select('key', 'value');
  return new Map(rows.map((r) => [r.key, r.value]));
}

async function hasRows(db: Db): Promise<boolean> {
  const row = await db('portfolios').first('id');
  return row !== undefined;
}

async function tableCount(db: Db, table: string): Promise<number> {
  const result = await db.raw<{ rows: { n: string }[] }>('select count(*) as n from ??', [table]);
  return Number(result.rows[0]?.n ?? 0);
}

async function describe(db: Db, meta: Map<string, string>, reused: boolean, started: number): Promise<BenchData> {
  const rows: Record<string, number> = {};
  for (const table of ['portfolios', 'instruments', 'positions', 'trade_proposals', 'pnl_snapshots']) rows[table] = await tableCount(db, table);
  return {
    reused,
    historyEnd: meta.get('history_end') ?? '?',
    generatedAt: meta.get('generated_at') ?? '?',
    bigPortfolio: BIG_PORTFOLIO,
    missPortfolios: Array.from({ length: DATA_SHAPE.missPortfolios }, (_, i) => missPortfolioCode(i + 1)),
    deskPortfolios: deskCodes(),
    deskHistoryEnd: meta.get('desk_history_end') ?? '?',
    rows,
    seconds: (Date.now() - started) / 1000,
  };
}

async function timed<T>(log: (line: string) => void, what: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await work();
  log(`data: ${what} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return result;
}

async function generate(db: Db, log: (line: string) => void): Promise<void> {
  const s = DATA_SHAPE;
  const historyEnd = businessDayOnOrBefore(today(systemClock));
  const missFirstDay = s.historyDays - s.missDays;
  log(
    `data: generating ${BIG_PORTFOLIO} (${s.bigPositions} positions × ${s.historyDays} days) and ` +
      `${COUNT.format(s.missPortfolios)} miss portfolios (${s.missPositions} positions × ${s.missDays} days), history to ${historyEnd}…`,
  );
  await db.transaction(async (trx) => {
    await trx.raw('set local synchronous_commit to off');
    await trx.raw("set local work_mem to '256MB'");

    await createDaysTable(trx, historyEnd, s.historyDays);

    await timed(log, `${s.instruments} instruments`, async () => {
      await createInstrumentsTable(trx, s.instruments);
      await trx.raw(
        `insert into instruments (ticker, name, asset_class, price_convention, cost_bps)
         select bi.ticker, 'Bench ' || bi.family || ' ' || bi.k, bi.asset_class, bi.convention,
                case bi.family when 'DI1' then 1.0 when 'DDI' then 1.5 when 'DOL' then 0.8 when 'NTN_B' then 3.0
                               when 'UST' then 0.6 when 'CDS_BR' then 5.0 else 2.0 end
         from bench_instruments bi`,
      );
    });

    await timed(log, `${COUNT.format(1 + s.missPortfolios)} portfolios`, async () => {
      await trx.raw(
        `insert into portfolios (code, name, aum_brl, inception_date)
         select ?, 'Bench big book', 500000000, (select date from bench_days where idx = 0)`,
        [BIG_PORTFOLIO],
      );
      await trx.raw(
        `insert into portfolios (code, name, aum_brl, inception_date)
         select 'BENCH_MISS_' || lpad(m::text, 4, '0'), 'Bench miss book ' || m, 100000000,
                (select date from bench_days where idx = ?)
         from generate_series(1, ?) m`,
        [missFirstDay, s.missPortfolios],
      );
    });

    await createPositionsTable(
      trx,
      'bench_positions',
      `select ?::text as code, n, 0 as first_idx from generate_series(1, ?) n
       union all
       select 'BENCH_MISS_' || lpad(m::text, 4, '0'), 100000 + m * 100 + j, ? from generate_series(1, ?) m, generate_series(1, ?) j`,
      [BIG_PORTFOLIO, s.bigPositions, missFirstDay, s.missPortfolios, s.missPositions],
      'x.n',
      s.instruments,
    );

    await timed(log, 'proposals and positions', () => insertPositions(trx, 'bench_positions'));

    await timed(log, 'P&L snapshots', async () => {
      await bulkLoad(trx, 'pnl_snapshots', () => insertSnapshots(trx, 'bench_positions'));
      await markAsOf(trx, 'bench_positions', historyEnd);
    });

    await trx('bench_meta').insert([
      { key: 'version', value: DATA_VERSION },
      { key: 'history_end', value: historyEnd },
      { key: 'generated_at', value: new Date().toISOString() },
    ]);
  });
  await timed(log, 'vacuum analyze', async () => {
    for (const table of ['portfolios', 'instruments', 'trade_proposals', 'positions', 'pnl_snapshots']) await db.raw(`vacuum analyze ${table}`);
  });
}

/** Business days, oldest first: idx 0 … days-1, the last one is historyEnd (temp table `bench_days`). */
async function createDaysTable(trx: Db, historyEnd: string, days: number): Promise<void> {
  await trx.raw(
    `create temp table bench_days on commit drop as
     select (row_number() over (order by d) - 1)::int as idx, d::date as date
     from (select d from generate_series(?::date - 730, ?::date, interval '1 day') d
           where extract(isodow from d) < 6 order by d desc limit ?) x`,
    [historyEnd, historyEnd, days],
  );
}

/** The instruments to be, `count` spread over the FAMILIES (temp table `bench_instruments`). */
async function createInstrumentsTable(trx: Db, count: number): Promise<void> {
  const families = FAMILIES.map((f, i) => trx.raw('(?, ?, ?, ?::numeric, ?::text[], ?::int)', [f.family, f.assetClass, f.convention, f.basePrice, `{${f.strategies.join(',')}}`, i]));
  const perFamily = Math.ceil(count / FAMILIES.length);
  await trx.raw(
    `create temp table bench_instruments on commit drop as
     select f.family || '_BENCH_' || lpad((f.ord * ? + k)::text, 3, '0') as ticker, f.family, f.asset_class, f.convention,
            round(f.base_price * (1 + (k - 1) * 0.01), 8) as base_price, f.strategies, f.ord * ? + k - 1 as k
     from (values ${families.map(() => '?').join(', ')}) f(family, asset_class, convention, base_price, strategies, ord)
     cross join generate_series(1, ?) k`,
    [perFamily, perFamily, ...families, perFamily],
  );
}

/**
 * One row per position to be (temp table `table`), from `positions`, a query of (code, n,
 * first_idx): the portfolio code, the position's ordinal n, which drives every pseudo-random
 * number (hashtext), so the same shape gives the same numbers on every machine, and the index in
 * `bench_days` of its entry date. The instrument is number `instrumentSeed` mod `instruments`.
 */
async function createPositionsTable(
  trx: Db,
  table: string,
  positions: string,
  bindings: readonly (string | number)[],
  instrumentSeed: string,
  instruments: number,
): Promise<void> {
  await trx.raw(
    `create temp table ?? on commit drop as
     select gen_random_uuid() as id, gen_random_uuid() as proposal_id, p.id as portfolio_id, i.id as instrument_id,
            i.asset_class, i.cost_bps, x.n, x.first_idx, d.date as entry_date,
            case when abs(hashtext('direction:' || x.n)) % 3 = 0 then 'SHORT' else 'LONG' end as direction,
            (1000000 + (abs(hashtext('notional:' || x.n)) % 4000) * 1000)::numeric as notional,
            round(bi.base_price * (1 + ((abs(hashtext('price:' || x.n)) % 200) - 100) / 10000.0), 8) as entry_price,
            round((5.0 + 0.25 * sin(x.first_idx / 20.0))::numeric, 8) as entry_fx,
            case when i.asset_class = 'RATES' then 10.5 + (bi.k % 5) * 0.5 end as rate_pct,
            case when i.asset_class = 'RATES' then 252 + (bi.k % 5) * 126 end as business_days,
            array[bi.strategies[1 + x.n % array_length(bi.strategies, 1)]] as strategy_ids
     from (${positions}) x
     join portfolios p on p.code = x.code
     join bench_instruments bi on bi.k = ${instrumentSeed} % ?
     join instruments i on i.ticker = bi.ticker
     join bench_days d on d.idx = x.first_idx`,
    [table, ...bindings, instruments],
  );
}

/**
 * The proposals and positions of the rows of `table` (one per position to be, see
 * `bench_positions` in generate): a DISCRETIONARY trade is born APPROVED with its execution
 * terms, as openPosition writes it.
 */
async function insertPositions(trx: Db, table: string): Promise<void> {
  await trx.raw(
    `insert into trade_proposals (id, portfolio_id, instrument_id, asset_class, direction, suggested_notional_brl, conviction,
                                  signal_source, strategy_ids, rationale, status, as_of_date, reviewed_by, reviewed_at,
                                  execution_price, execution_notional_brl, created_at, updated_at)
     select proposal_id, portfolio_id, instrument_id, asset_class, direction, notional, 0.7, 'DISCRETIONARY', strategy_ids,
            'Bench position ' || n, 'APPROVED', entry_date, 'bench', entry_date + time '13:00', entry_price, notional,
            entry_date + time '13:00', entry_date + time '13:00'
     from ??`,
    [table],
  );
  await trx.raw(
    `insert into positions (id, portfolio_id, instrument_id, proposal_id, direction, notional_brl, entry_price, entry_date,
                            entry_fx_rate, current_price, last_mark_date, transaction_cost_brl, rate_pct, business_days,
                            strategy_ids, created_at, updated_at)
     select id, portfolio_id, instrument_id, proposal_id, direction, notional, entry_price, entry_date, entry_fx, entry_price,
            entry_date, round(notional * cost_bps / 10000, 4), rate_pct, business_days, strategy_ids,
            entry_date + time '13:00', entry_date + time '13:00'
     from ??`,
    [table],
  );
  await trx.raw('update trade_proposals t set position_id = bp.id from ?? bp where t.id = bp.proposal_id', [table]);
}

/**
 * The daily P&L snapshots of the positions of `table`, from their first day to the last of
 * `bench_days`. Daily P&L: ±0.4% of notional, a deterministic function of (position ordinal,
 * day); unrealized is its running sum and the mark price follows from it (PU for RATES).
 */
async function insertSnapshots(trx: Db, table: string): Promise<void> {
  await trx.raw(
    `insert into pnl_snapshots (date, position_id, portfolio_id, mark_price, unrealized_pnl_brl, unrealized_pnl_usd,
                                daily_pnl_brl, daily_pnl_usd, realized_pnl_brl, fx_rate, created_at, updated_at)
     select date, id, portfolio_id,
            round(case when asset_class = 'RATES' then entry_price + sgn * cum * 100000 / notional
                       else entry_price * (1 + sgn * cum / notional) end, 8),
            cum, round(cum / fx, 4), daily, round(daily / fx, 4), 0, fx, date + time '21:00', date + time '21:00'
     from (select bp.id, bp.portfolio_id, bp.asset_class, bp.entry_price, bp.notional,
                  case bp.direction when 'LONG' then 1 else -1 end as sgn, d.date,
                  round((5.0 + 0.25 * sin(d.idx / 20.0))::numeric, 8) as fx, x.daily,
                  sum(x.daily) over (partition by bp.id order by d.idx) as cum
           from ?? bp
           join bench_days d on d.idx >= bp.first_idx
           cross join lateral (select case when d.idx = bp.first_idx then 0::numeric
                                      else round(bp.notional * 0.004 * ((hashtext('pnl:' || bp.n || ':' || d.idx) % 10000) / 10000.0), 4)
                                      end as daily) x) s`,
    [table],
  );
}

/** The positions of `table` carry their mark of `date` (the last day of their history). */
async function markAsOf(trx: Db, table: string, date: string): Promise<void> {
  await trx.raw(
    `update positions p set current_price = s.mark_price, last_mark_date = s.date,
                            unrealized_pnl_brl = s.unrealized_pnl_brl, unrealized_pnl_usd = s.unrealized_pnl_usd
     from pnl_snapshots s join ?? bp on bp.id = s.position_id where s.position_id = p.id and s.date = ?`,
    [table, date],
  );
}

// ---------------------------------------------------------------------------------------------
// The desk books
// ---------------------------------------------------------------------------------------------

const deskCodes = (): string[] => Array.from({ length: DESK_SHAPE.portfolios }, (_, i) => deskPortfolioCode(i + 1));

/** Generates the desk books unless this version of them is there (retiring another version's). */
async function ensureDeskData(db: Db, meta: ReadonlyMap<string, string>, log: (line: string) => void): Promise<void> {
  const found = meta.get('desk_version');
  if (found === DESK_DATA_VERSION) {
    log(`data: desk books reused (${DESK_DATA_VERSION}, history to ${meta.get('desk_history_end') ?? '?'})`);
    return;
  }
  if (found !== undefined) {
    // The journal is append-only (and references positions), so old books cannot be deleted:
    // they are renamed out of the way and never read again.
    const suffix = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
    const renamed = await db('portfolios')
      .whereIn('code', [...deskCodes(), DESK_RETIRED_PORTFOLIO])
      .update({ code: db.raw("'RETIRED_' || ? || '_' || code", [suffix]) });
    log(`data: desk books ${found} found, ${DESK_DATA_VERSION} wanted: ${renamed} portfolios retired`);
  }
  const started = Date.now();
  await generateDesk(db, log);
  log(`data: desk books generated in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function generateDesk(db: Db, log: (line: string) => void): Promise<void> {
  const d = DESK_SHAPE;
  const historyEnd = businessDayOnOrBefore(today(systemClock));
  log(`data: generating ${d.portfolios} desk books (${d.minPositions}–${d.maxPositions} positions, ${d.historyDays} days), history to ${historyEnd}…`);
  await db.transaction(async (trx) => {
    await trx.raw('set local synchronous_commit to off');
    await trx.raw("set local work_mem to '256MB'");
    await createDaysTable(trx, historyEnd, d.historyDays);
    await createInstrumentsTable(trx, DATA_SHAPE.instruments);
    // AUM 100–400 M; the retired portfolio receives the positions a run opened (see resetDesk).
    await trx.raw(
      `insert into portfolios (code, name, aum_brl, inception_date)
       select 'BENCH_DESK_' || lpad(k::text, 2, '0'), 'Bench desk book ' || k, (1 + abs(hashtext('desk-aum:' || k)) % 4) * 100000000,
              (select date from bench_days where idx = 0)
       from generate_series(1, ?) k
       union all
       select ?, 'Bench desk: positions opened by past runs', 100000000, (select date from bench_days where idx = 0)`,
      [d.portfolios, DESK_RETIRED_PORTFOLIO],
    );
    // Instruments drawn by hash (a book holds some several times, others not at all), entry dates
    // spread over the history.
    await createPositionsTable(
      trx,
      'bench_desk_positions',
      `select 'BENCH_DESK_' || lpad(k::text, 2, '0') as code, 2000000 + k * 1000 + j as n, abs(hashtext('desk-entry:' || k || ':' || j)) % ? as first_idx
       from generate_series(1, ?) k
       cross join lateral generate_series(1, ? + abs(hashtext('desk-size:' || k)) % ?) j`,
      [d.historyDays - 5, d.portfolios, d.minPositions, d.maxPositions - d.minPositions + 1],
      `abs(hashtext('desk-instrument:' || x.n))`,
      DATA_SHAPE.instruments,
    );
    await timed(log, 'desk proposals and positions', () => insertPositions(trx, 'bench_desk_positions'));
    await timed(log, 'desk P&L snapshots', async () => {
      await insertSnapshots(trx, 'bench_desk_positions');
      await markAsOf(trx, 'bench_desk_positions', historyEnd);
    });
    // What resetDesk puts back: the positions as generated, and their snapshots of the last day
    // (a run on that very day would have overwritten them).
    await trx.raw('drop table if exists bench_desk_positions_baseline, bench_desk_snapshots_baseline');
    await trx.raw('create table bench_desk_positions_baseline as select p.* from positions p join bench_desk_positions b on b.id = p.id');
    await trx.raw('alter table bench_desk_positions_baseline add primary key (id)');
    await trx.raw(
      `create table bench_desk_snapshots_baseline as
       select s.* from pnl_snapshots s join bench_desk_positions b on b.id = s.position_id where s.date = ?`,
      [historyEnd],
    );
    await trx('bench_meta')
      .insert([
        { key: 'desk_version', value: DESK_DATA_VERSION },
        { key: 'desk_history_end', value: historyEnd },
        { key: 'desk_generated_at', value: new Date().toISOString() },
      ])
      .onConflict('key')
      .merge();
  });
  await timed(log, 'desk vacuum analyze', async () => {
    for (const table of ['portfolios', 'trade_proposals', 'positions', 'pnl_snapshots']) await db.raw(`vacuum analyze ${table}`);
  });
}

export interface DeskReset {
  /** Positions a run opened, moved to the retired portfolio with their proposals. */
  readonly moved: number;
  /** Generated positions whose row a run had changed (marked, closed), put back. */
  readonly restored: number;
  /** Snapshots of the last day and after, deleted; the generated ones of the last day put back. */
  readonly snapshotsDeleted: number;
  readonly seconds: number;
}

/**
 * Puts the desk books back as generated, so that every desk run (and every contender of one)
 * starts from the same books: positions a run opened move to the retired portfolio with their
 * proposals (the append-only journal references them, so they cannot be deleted; no query of
 * the scenario reads that portfolio), generated positions get their generated row back, and the
 * snapshots a run wrote (its day, on or after the last day of the history) are replaced by the
 * generated ones of the last day. The journal keeps growing; no query of the scenario reads it.
 * Only for books no running server has cached.
 */
export async function resetDesk(): Promise<DeskReset> {
  const started = Date.now();
  const db = createDb({ kind: 'postgres', url: BENCH_DATABASE_URL, poolMax: 1 });
  try {
    return await db.transaction(async (trx) => {
      const meta = await readMeta(trx);
      const historyEnd = meta.get('desk_history_end');
      if (historyEnd === undefined) throw new Error('resetDesk: no desk books (desk_history_end missing from bench_meta)');
      const desk = (await trx('portfolios').whereIn('code', deskCodes()).pluck('id')) as string[];
      const retired = await trx('portfolios').where({ code: DESK_RETIRED_PORTFOLIO }).first<{ id: string } | undefined>('id');
      if (desk.length !== DESK_SHAPE.portfolios || !retired) throw new Error(`resetDesk: ${desk.length} desk books found, ${DESK_SHAPE.portfolios} expected`);
      const moved = await trx('positions')
        .whereIn('portfolio_id', desk)
        .whereNotIn('id', trx('bench_desk_positions_baseline').select('id'))
        .update({ portfolio_id: retired.id });
      await trx('trade_proposals')
        .whereIn('portfolio_id', desk)
        .whereNotIn('id', trx('bench_desk_positions_baseline').whereNotNull('proposal_id').select('proposal_id'))
        .update({ portfolio_id: retired.id });
      // Column by column, by name: a column a later migration adds keeps its default.
      const columnsOf = async (table: string): Promise<string[]> =>
        (
          await trx.raw<{ rows: { name: string }[] }>(
            `select column_name as name from information_schema.columns
             where table_schema = current_schema() and table_name = ? order by ordinal_position`,
            [table],
          )
        ).rows.map((r) => r.name);
      const snapshotsDeleted = await trx('pnl_snapshots').whereIn('portfolio_id', desk).where('date', '>=', historyEnd).del();
      const snapshotColumns = await columnsOf('bench_desk_snapshots_baseline');
      await trx.raw(`insert into pnl_snapshots (${snapshotColumns.map(() => '??').join(', ')}) select ${snapshotColumns.map(() => '??').join(', ')} from bench_desk_snapshots_baseline`, [
        ...snapshotColumns,
        ...snapshotColumns,
      ]);
      const columns = (await columnsOf('bench_desk_positions_baseline')).filter((c) => c !== 'id');
      const restored = await trx.raw<{ rowCount: number }>(
        `update positions p set ${columns.map(() => '?? = b.??').join(', ')}
         from bench_desk_positions_baseline b
         where b.id = p.id and (${columns.map(() => 'p.??').join(', ')}) is distinct from (${columns.map(() => 'b.??').join(', ')})`,
        [...columns.flatMap((c) => [c, c]), ...columns, ...columns],
      );
      return { moved, restored: restored.rowCount, snapshotsDeleted, seconds: (Date.now() - started) / 1000 };
    });
  } finally {
    await db.destroy();
  }
}

/**
 * Bulk load into `table`: its foreign keys, unique constraints and indexes are dropped, the rows
 * inserted, then everything recreated from the definitions Postgres reports, in the same
 * transaction. Building an index once is many times faster than growing it row by row, and one
 * validating join replaces a foreign-key check per row; the schema ends exactly as migrated.
 */
async function bulkLoad(trx: Db, table: string, insert: () => Promise<void>): Promise<void> {
  const constraints = (
    await trx.raw<{ rows: { name: string; type: string; def: string }[] }>(
      `select conname as name, contype as type, pg_get_constraintdef(oid) as def
       from pg_constraint where conrelid = ?::regclass and contype in ('p', 'u', 'f')`,
      [table],
    )
  ).rows;
  const indexes = (
    await trx.raw<{ rows: { name: string; def: string }[] }>(
      `select i.indexname as name, i.indexdef as def from pg_indexes i
       where i.tablename = ? and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`,
      [table],
    )
  ).rows;
  for (const c of constraints) await trx.raw('alter table ?? drop constraint ??', [table, c.name]);
  for (const i of indexes) await trx.raw('drop index ??', [i.name]);
  await insert();
  for (const c of constraints.filter((x) => x.type !== 'f')) await trx.raw(`alter table ?? add constraint ?? ${c.def}`, [table, c.name]);
  for (const i of indexes) await trx.raw(i.def);
  for (const c of constraints.filter((x) => x.type === 'f')) await trx.raw(`alter table ?? add constraint ?? ${c.def}`, [table, c.name]);
}
