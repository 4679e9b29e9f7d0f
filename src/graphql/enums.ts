import { registerEnumType } from 'type-graphql';
import {
  ASSET_CLASSES, DIRECTIONS, JOURNAL_ENTRY_TYPES, PRICE_CONVENTIONS, PROPOSAL_STATUSES, RISK_STATUSES, ROLES,
} from '../domain/types';

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
export const RoleEnum = enumOf(ROLES);
export const PositionStatusEnum = enumOf(['OPEN', 'CLOSED', 'ALL'] as const);
export const PriceSourceEnum = enumOf(['OVERRIDE', 'MARKET', 'ENTRY'] as const);
export const SkipReasonEnum = enumOf(['LOW_CONVICTION', 'DAILY_LIMIT', 'ALREADY_PENDING', 'DUPLICATE_SIGNAL'] as const);

registerEnumType(DirectionEnum, { name: 'Direction', description: 'LONG gains when the price rises (for RATES, LONG = receive fixed).' });
registerEnumType(AssetClassEnum, { name: 'AssetClass' });
registerEnumType(PriceConventionEnum, { name: 'PriceConvention', description: 'PU: price per 100,000 face; SPREAD_BPS: spread in basis points.' });
registerEnumType(ProposalStatusEnum, { name: 'ProposalStatus', description: 'PENDING → APPROVED / MODIFIED / REJECTED; EXPIRED once its business day has passed.' });
registerEnumType(JournalEntryTypeEnum, { name: 'JournalEntryType' });
registerEnumType(RiskStatusEnum, { name: 'RiskStatus' });
registerEnumType(RoleEnum, { name: 'Role' });
registerEnumType(PositionStatusEnum, { name: 'PositionStatus' });
registerEnumType(PriceSourceEnum, { name: 'PriceSource', description: 'Where an MTM price came from.' });
registerEnumType(SkipReasonEnum, { name: 'SignalSkipReason' });
