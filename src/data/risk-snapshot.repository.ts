import type { Knex } from 'knex';
import type { IsoDate, RiskSnapshot, RiskStatus } from '../domain/types';
import { isoDate, type Row } from './rows';

function toRiskSnapshot(row: Row): RiskSnapshot {
  return {
    portfolioId: String(row.portfolio_id),
    date: isoDate(row.date),
    var95: row.var95 === null ? null : Number(row.var95),
    var99: row.var99 === null ? null : Number(row.var99),
    grossLeverage: Number(row.gross_leverage),
    drawdownPct: Number(row.drawdown_pct),
    alertCount: Number(row.alert_count),
    overallStatus: row.overall_status as RiskStatus,
  };
}

export async function upsertRiskSnapshot(db: Knex, s: RiskSnapshot, now: Date): Promise<void> {
  await db('risk_snapshots')
    .insert({
      portfolio_id: s.portfolioId,
      date: s.date,
      var95: s.var95,
      var99: s.var99,
      gross_leverage: s.grossLeverage,
      drawdown_pct: s.drawdownPct,
      alert_count: s.alertCount,
      overall_status: s.overallStatus,
      updated_at: now,
    })
    .onConflict(['portfolio_id', 'date'])
    .merge();
}

export async function listRiskSnapshots(
  db: Knex,
  portfolioId: string,
  range: { readonly from: IsoDate; readonly to: IsoDate },
): Promise<RiskSnapshot[]> {
  const rows: Row[] = await db('risk_snapshots')
    .select('*')
    .where({ portfolio_id: portfolioId })
    .andWhereBetween('date', [range.from, range.to])
    .orderBy('date');
  return rows.map(toRiskSnapshot);
}
