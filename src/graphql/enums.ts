import { registerEnumType } from 'type-graphql';
import {
  ASSET_CLASSES, DIRECTIONS, JOURNAL_ENTRY_TYPES, PRICE_CONVENTIONS, PROPOSAL_STATUSES, RISK_STATUSES,
} from '../domain/types';
import { ATTRIBUTION_PERIODS, FACTOR_TAGS, TRADE_TYPES, type FactorTag, type TimeBucketGranularity } from '../domain/attribution';
import { ACTION_CATEGORIES, ACTION_PRIORITIES } from '../domain/morning-pack';
import type { StressMethod } from '../domain/risk';

/** GraphQL enums are built from the domain's closed unions: one list of values, two views. */
function enumOf<const T extends readonly string[]>(values: T): { [K in T[number]]: K } {
  return Object.fromEntries(values.map((v) => [v, v])) as { [K in T[number]]: K };
}

export const DirectionEnum = enumOf(DIRECTIONS);
export const AssetClassEnum = enumOf(ASSET_CLASSES);
export const PriceConventionEnum = enumOf(PRICE_CONVENTIONS);
export const ProposalStatusEnum = enumOf(PROPOSAL_STATUSES);
export const JournalEntryTypeEnum = enumOf(JOURNAL_ENTRY_TYPES);
export const RiskStatusEnum = enumOf(RISK_STATUSES);
export const PositionStatusEnum = enumOf(['OPEN', 'CLOSED', 'ALL'] as const);
export const PriceSourceEnum = enumOf(['OVERRIDE', 'MARKET', 'ENTRY'] as const);
export const SkipReasonEnum = enumOf(['LOW_CONVICTION', 'DAILY_LIMIT', 'ALREADY_PENDING', 'DUPLICATE_SIGNAL'] as const);

registerEnumType(DirectionEnum, { name: 'Direction', description: 'LONG gains when the price rises (for RATES, LONG = receive fixed).' });
registerEnumType(AssetClassEnum, { name: 'AssetClass' });
registerEnumType(PriceConventionEnum, { name: 'PriceConvention', description: 'PU: price per 100,000 face; SPREAD_BPS: spread in basis points.' });
registerEnumType(ProposalStatusEnum, { name: 'ProposalStatus', description: 'PENDING → APPROVED / MODIFIED / REJECTED; EXPIRED once its business day has passed.' });
registerEnumType(JournalEntryTypeEnum, { name: 'JournalEntryType' });
registerEnumType(RiskStatusEnum, { name: 'RiskStatus' });
registerEnumType(PositionStatusEnum, { name: 'PositionStatus' });
registerEnumType(PriceSourceEnum, { name: 'PriceSource', description: 'Where an MTM price came from.' });
registerEnumType(SkipReasonEnum, { name: 'SignalSkipReason' });

export const AttributionPeriodEnum = enumOf(ATTRIBUTION_PERIODS);
export const TradeTypeEnum = enumOf(TRADE_TYPES);
export const ActionPriorityEnum = enumOf(ACTION_PRIORITIES);
export const ActionCategoryEnum = enumOf(ACTION_CATEGORIES);
// These two are bare union types in the domain (no const array), so the values are listed here;
// `satisfies` at least refuses a value the domain does not have.
export const TimeBucketGranularityEnum = enumOf(['WEEK', 'MONTH'] as const satisfies readonly TimeBucketGranularity[]);
export const StressMethodEnum = enumOf(
  ['RATE_MOVE', 'RATE_MOVE_UNIT_DURATION', 'NOTIONAL_RETURN'] as const satisfies readonly StressMethod[],
);
// Factor tags are kebab-case in the domain ('mean-reversion') and a GraphQL enum name cannot hold
// '-': the names are upper snake case (MEAN_REVERSION), the internal values stay the domain's.
export const FactorTagEnum: Readonly<Record<string, FactorTag>> = Object.fromEntries(
  FACTOR_TAGS.map((tag) => [tag.toUpperCase().replace(/-/g, '_'), tag]),
);

registerEnumType(AttributionPeriodEnum, {
  name: 'AttributionPeriod',
  description: 'Named periods end at asOf (DAILY is asOf itself; WTD starts on the ISO Monday); CUSTOM takes from and to.',
});
registerEnumType(TradeTypeEnum, { name: 'TradeType', description: 'SYSTEMATIC when a model signal opened the position, else DISCRETIONARY.' });
registerEnumType(ActionPriorityEnum, { name: 'ActionPriority', description: 'Most urgent first: CRITICAL, HIGH, MEDIUM, LOW.' });
registerEnumType(ActionCategoryEnum, { name: 'ActionCategory' });
registerEnumType(TimeBucketGranularityEnum, {
  name: 'TimeBucketGranularity',
  description: 'WEEK (ISO weeks) for ranges up to 90 days, MONTH beyond.',
});
registerEnumType(StressMethodEnum, {
  name: 'StressMethod',
  description:
    'How a shock became P&L, always from the current mark (currentPrice as of lastMarkDate), never the entry: ' +
    'RATE_MOVE repriced the current PU at the rate it implies plus the shock, with the business days left at the ' +
    'mark date; RATE_MOVE_UNIT_DURATION took a rate shock on a RATES position without rate data as a ' +
    'one-year-duration move of the current PU; NOTIONAL_RETURN moved the current price by the shock ' +
    '(notional × sign × current / entry × shock).',
});
registerEnumType(FactorTagEnum, { name: 'FactorTag', description: 'The factor a strategy harvests; UNTAGGED for unknown strategies.' });
