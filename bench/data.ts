// The benchmark's data: a dedicated `pms_bench` database, migrated like any other, filled with
// set-based SQL (INSERT … SELECT over generate_series): one big book and many small ones for the
// all-miss path. A `bench_meta` row records the data version, so a second run reuses the data.
import pg from 'pg';
import { createDb, migrateLatest, type Db } from '../src/data/db';
import { businessDayOnOrBefore, systemClock, today } from '../src/domain/dates';
import { BENCH_DATABASE_URL, BENCH_DB_NAME, BIG_PORTFOLIO, missPortfolioCode, PG_BASE_URL } from './common';

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

export interface BenchData {
  readonly reused: boolean;
  /** Last business day of the history (the day the data was generated). */
  readonly historyEnd: string;
  readonly generatedAt: string;
  readonly bigPortfolio: string;
  readonly missPortfolios: readonly string[];
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
      const data = await describe(db, meta, true, started);
      log(`data: reused (${DATA_VERSION}, generated ${data.generatedAt}, history to ${data.historyEnd})`);
      return data;
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

    // Business days, oldest first: idx 0 … historyDays-1, the last one is historyEnd.
    await trx.raw(
      `create temp table bench_days on commit drop as
       select (row_number() over (order by d) - 1)::int as idx, d::date as date
       from (select d from generate_series(?::date - 730, ?::date, interval '1 day') d
             where extract(isodow from d) < 6 order by d desc limit ?) x`,
      [historyEnd, historyEnd, s.historyDays],
    );

    await timed(log, `${s.instruments} instruments`, async () => {
      const families = FAMILIES.map((f, i) => trx.raw('(?, ?, ?, ?::numeric, ?::text[], ?::int)', [f.family, f.assetClass, f.convention, f.basePrice, `{${f.strategies.join(',')}}`, i]));
      const perFamily = Math.ceil(s.instruments / FAMILIES.length);
      await trx.raw(
        `create temp table bench_instruments on commit drop as
         select f.family || '_BENCH_' || lpad((f.ord * ? + k)::text, 3, '0') as ticker, f.family, f.asset_class, f.convention,
                round(f.base_price * (1 + (k - 1) * 0.01), 8) as base_price, f.strategies, f.ord * ? + k - 1 as k
         from (values ${families.map(() => '?').join(', ')}) f(family, asset_class, convention, base_price, strategies, ord)
         cross join generate_series(1, ?) k`,
        [perFamily, perFamily, ...families, perFamily],
      );
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

    // One row per position to be: its ordinal n drives every pseudo-random number (hashtext),
    // so the same shape gives the same numbers on every machine.
    await trx.raw(
      `create temp table bench_positions on commit drop as
       select gen_random_uuid() as id, gen_random_uuid() as proposal_id, p.id as portfolio_id, i.id as instrument_id,
              i.asset_class, i.cost_bps, x.n, x.first_idx, d.date as entry_date,
              case when abs(hashtext('direction:' || x.n)) % 3 = 0 then 'SHORT' else 'LONG' end as direction,
              (1000000 + (abs(hashtext('notional:' || x.n)) % 4000) * 1000)::numeric as notional,
              round(bi.base_price * (1 + ((abs(hashtext('price:' || x.n)) % 200) - 100) / 10000.0), 8) as entry_price,
              round((5.0 + 0.25 * sin(x.first_idx / 20.0))::numeric, 8) as entry_fx,
              case when i.asset_class = 'RATES' then 10.5 + (bi.k % 5) * 0.5 end as rate_pct,
              case when i.asset_class = 'RATES' then 252 + (bi.k % 5) * 126 end as business_days,
              array[bi.strategies[1 + x.n % array_length(bi.strategies, 1)]] as strategy_ids
       from (select ?::text as code, n, 0 as first_idx from generate_series(1, ?) n
             union all
             select 'BENCH_MISS_' || lpad(m::text, 4, '0'), 100000 + m * 100 + j, ? from generate_series(1, ?) m, generate_series(1, ?) j) x
       join portfolios p on p.code = x.code
       join bench_instruments bi on bi.k = x.n % ?
       join instruments i on i.ticker = bi.ticker
       join bench_days d on d.idx = x.first_idx`,
      [BIG_PORTFOLIO, s.bigPositions, missFirstDay, s.missPortfolios, s.missPositions, s.instruments],
    );

    await timed(log, 'proposals and positions', async () => {
      // A DISCRETIONARY trade is born APPROVED with its execution terms, as openPosition writes it.
      await trx.raw(
        `insert into trade_proposals (id, portfolio_id, instrument_id, asset_class, direction, suggested_notional_brl, conviction,
                                      signal_source, strategy_ids, rationale, status, as_of_date, reviewed_by, reviewed_at,
                                      execution_price, execution_notional_brl, created_at, updated_at)
         select proposal_id, portfolio_id, instrument_id, asset_class, direction, notional, 0.7, 'DISCRETIONARY', strategy_ids,
                'Bench position ' || n, 'APPROVED', entry_date, 'bench', entry_date + time '13:00', entry_price, notional,
                entry_date + time '13:00', entry_date + time '13:00'
         from bench_positions`,
      );
      await trx.raw(
        `insert into positions (id, portfolio_id, instrument_id, proposal_id, direction, notional_brl, entry_price, entry_date,
                                entry_fx_rate, current_price, last_mark_date, transaction_cost_brl, rate_pct, business_days,
                                strategy_ids, created_at, updated_at)
         select id, portfolio_id, instrument_id, proposal_id, direction, notional, entry_price, entry_date, entry_fx, entry_price,
                entry_date, round(notional * cost_bps / 10000, 4), rate_pct, business_days, strategy_ids,
                entry_date + time '13:00', entry_date + time '13:00'
         from bench_positions`,
      );
      await trx.raw('update trade_proposals t set position_id = bp.id from bench_positions bp where t.id = bp.proposal_id');
    });

    await timed(log, 'P&L snapshots', async () => {
      await bulkLoad(trx, 'pnl_snapshots', async () => {
        // Daily P&L: ±0.4% of notional, a deterministic function of (position ordinal, day);
        // unrealized is its running sum and the mark price follows from it (PU for RATES).
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
                 from bench_positions bp
                 join bench_days d on d.idx >= bp.first_idx
                 cross join lateral (select case when d.idx = bp.first_idx then 0::numeric
                                            else round(bp.notional * 0.004 * ((hashtext('pnl:' || bp.n || ':' || d.idx) % 10000) / 10000.0), 4)
                                            end as daily) x) s`,
        );
      });
      await trx.raw(
        `update positions p set current_price = s.mark_price, last_mark_date = s.date,
                                unrealized_pnl_brl = s.unrealized_pnl_brl, unrealized_pnl_usd = s.unrealized_pnl_usd
         from pnl_snapshots s where s.position_id = p.id and s.date = ?`,
        [historyEnd],
      );
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
