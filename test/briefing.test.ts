import { dec } from '../src/domain/decimal';
import type { MorningPackSections } from '../src/domain/morning-pack';
import type { Instrument, IsoDate, Portfolio, ProposalStatus } from '../src/domain/types';
import { insertProposal } from '../src/data/proposal.repository';
import { generateMorningPack } from '../src/services/morning-pack.service';
import { generateProposals, listPortfolioProposals } from '../src/services/proposals.service';
import { fixedClock } from './support/clock';
import { testDb } from './support/db';
import { actor, countRows, createInstrument, createPortfolio, recordingDeps } from './support/factories';

/*
 * What is pending at a briefing, and what a proposal's date may be. Dates: Thursday 2026-11-19,
 * Friday 11-20, Saturday 11-21, Sunday 11-22, Monday 11-23; São Paulo is UTC−3.
 */

const db = testDb();
const manager = actor('MANAGER');
let instrument: Instrument;

beforeAll(async () => {
  instrument = await createInstrument(db, 'UST', 'SOVEREIGN');
});
afterAll(() => db.destroy());

/** A proposal as a past write left it: created at `createdAt`, reviewed at `reviewedAt` if decided. */
function proposal(
  portfolio: Portfolio,
  o: { asOfDate: IsoDate; createdAt: string; conviction: number; status?: ProposalStatus; reviewedAt?: string },
): Promise<string> {
  return insertProposal(db, {
    portfolioId: portfolio.id,
    instrumentId: instrument.id,
    assetClass: instrument.assetClass,
    direction: 'LONG',
    suggestedNotionalBrl: dec('2000000'),
    conviction: o.conviction,
    signalSource: 'TEST_MODEL',
    strategyIds: ['SOV_01'],
    rationale: 'Briefing test proposal',
    riskImpact: null,
    status: o.status ?? 'PENDING',
    asOfDate: o.asOfDate,
    isFlip: false,
    reviewedBy: o.reviewedAt ? 'test.reviewer' : null,
    reviewedAt: o.reviewedAt ? new Date(o.reviewedAt) : null,
    executionPrice: o.status === 'APPROVED' ? dec('98.5') : null,
    executionNotionalBrl: o.status === 'APPROVED' ? dec('2000000') : null,
    notes: o.status === 'REJECTED' ? 'Not now' : null,
    createdBy: 'test.model',
    now: new Date(o.createdAt),
  });
}

function sectionsOf(pack: { sections: unknown }): MorningPackSections {
  return pack.sections as MorningPackSections;
}

describe('morning packs list every proposal pending at the briefing time', () => {
  it('a Sunday pack lists Friday\'s pending proposals, and a Saturday pack those pending then, decided since or not', async () => {
    const portfolio = await createPortfolio(db);
    const friday = [
      await proposal(portfolio, { asOfDate: '2026-11-20', createdAt: '2026-11-20T13:00:00Z', conviction: 0.6 }),
      await proposal(portfolio, { asOfDate: '2026-11-20', createdAt: '2026-11-20T13:00:01Z', conviction: 0.9 }),
      await proposal(portfolio, { asOfDate: '2026-11-20', createdAt: '2026-11-20T13:00:02Z', conviction: 0.7 }),
    ];
    // Thursday's is EXPIRED on Sunday (valid on its business day only); Friday's rejected one was decided.
    await proposal(portfolio, { asOfDate: '2026-11-19', createdAt: '2026-11-19T13:00:00Z', conviction: 0.95 });
    await proposal(portfolio, { asOfDate: '2026-11-20', createdAt: '2026-11-20T13:00:03Z', conviction: 0.8, status: 'REJECTED', reviewedAt: '2026-11-20T20:00:00Z' });
    // Approved on Sunday at 08:00 in São Paulo, before Sunday's briefing: pending on Saturday, not on Sunday.
    const approvedSunday = await proposal(portfolio, {
      asOfDate: '2026-11-20', createdAt: '2026-11-20T13:00:04Z', conviction: 0.85, status: 'APPROVED', reviewedAt: '2026-11-22T11:00:00Z',
    });

    // Sunday 09:00 in São Paulo.
    const clock = fixedClock('2026-11-22T12:00:00Z');
    const deps = recordingDeps(db, clock);
    const sunday = sectionsOf(await generateMorningPack(deps, manager, { portfolioId: portfolio.code }));
    // Highest conviction first.
    expect(sunday.pendingProposals.map((p) => p.proposalId)).toEqual([friday[1], friday[2], friday[0]]);
    expect(sunday.narrative).toContain('3 proposals pending review.');
    expect(sunday.actionItems.flatMap((a) => (a.refs?.proposalId ? [a.refs.proposalId] : [])).sort()).toEqual([...friday].sort());

    // Later on Sunday a model files a proposal of the day (Friday's business day is still current).
    clock.set('2026-11-22T17:00:00Z');
    const created = await generateProposals(deps, manager, {
      portfolioId: portfolio.code,
      signals: [{ ticker: instrument.ticker, direction: 'SHORT', conviction: 0.75, signalSource: 'TEST_MODEL', suggestedNotionalBrl: dec('1000000') }],
    });
    expect(created.created.map((p) => [p.asOfDate, p.status])).toEqual([['2026-11-22', 'PENDING']]);
    const sundayProposal = created.created[0]?.id;

    // Saturday's pack, generated now: what was pending at the end of Saturday. The proposal approved
    // on Sunday was pending then; the one created on Sunday did not exist.
    const saturday = sectionsOf(await generateMorningPack(deps, manager, { portfolioId: portfolio.code, date: '2026-11-21' }));
    expect(saturday.pendingProposals.map((p) => p.proposalId)).toEqual([friday[1], approvedSunday, friday[2], friday[0]]);
    expect(saturday.narrative).toContain('4 proposals pending review.');

    // Sunday's pack rebuilt now includes the new one.
    const rebuilt = sectionsOf(await generateMorningPack(deps, manager, { portfolioId: portfolio.code, force: true }));
    expect(rebuilt.pendingProposals.map((p) => p.proposalId)).toEqual([friday[1], sundayProposal, friday[2], friday[0]]);
  });

  it('Monday\'s pack no longer lists Friday\'s proposals: they expired with their business day', async () => {
    const portfolio = await createPortfolio(db);
    await proposal(portfolio, { asOfDate: '2026-11-20', createdAt: '2026-11-20T13:00:00Z', conviction: 0.6 });
    const deps = recordingDeps(db, fixedClock('2026-11-23T11:00:00Z'));
    const monday = sectionsOf(await generateMorningPack(deps, manager, { portfolioId: portfolio.code }));
    expect(monday.pendingProposals).toEqual([]);
    expect(monday.narrative).toContain('No proposals are pending review.');
  });
});

describe('generateProposals refuses a business day that is over', () => {
  const signals = () => [{ ticker: instrument.ticker, direction: 'LONG' as const, conviction: 0.7, signalSource: 'TEST_MODEL', suggestedNotionalBrl: dec('1000000') }];

  it('on Sunday, Friday is still the current business day: its proposals are created PENDING', async () => {
    const portfolio = await createPortfolio(db);
    const clock = fixedClock('2026-11-22T12:00:00Z');
    const result = await generateProposals(recordingDeps(db, clock), manager, { portfolioId: portfolio.code, asOf: '2026-11-20', signals: signals() });
    expect(result.created.map((p) => [p.asOfDate, p.status])).toEqual([['2026-11-20', 'PENDING']]);
    const listed = await listPortfolioProposals(recordingDeps(db, clock), manager, { portfolioId: portfolio.code, status: 'PENDING' });
    expect(listed.map((p) => p.id)).toEqual(result.created.map((p) => p.id));
  });

  it.each([
    ['Sunday', '2026-11-19', '2026-11-20', '2026-11-22T12:00:00Z'],
    ['Monday', '2026-11-20', '2026-11-23', '2026-11-23T12:00:00Z'],
  ])('on %s, proposals of %s would be EXPIRED at birth (business day %s): PROPOSAL_DATE_EXPIRED, nothing written', async (_day, asOf, businessDay, now) => {
    const portfolio = await createPortfolio(db);
    const error = await generateProposals(recordingDeps(db, fixedClock(now)), manager, { portfolioId: portfolio.code, asOf, signals: signals() })
      .then(() => null, (e: unknown) => e as { code: string; details: unknown; message: string });
    expect(error).toMatchObject({ code: 'PROPOSAL_DATE_EXPIRED', details: { field: 'asOf', asOf, businessDay } });
    expect(error?.message).toBe(
      `Proposals of ${asOf} would be EXPIRED at once: a proposal is valid on its business day only, and the current one is ${businessDay}`,
    );
    expect(await countRows(db, 'trade_proposals', { portfolio_id: portfolio.id })).toBe(0);
    expect(await countRows(db, 'journal_entries', { portfolio_id: portfolio.id })).toBe(0);
  });
});
