import type { Knex } from 'knex';
import { seedDemo } from '../../src/data/seeds/demo';
import type { GraphQLResponse } from '../support/gateway';
import { DEMO_AS_OF } from '../support/demo';
import { uid } from '../support/factories';

/** A demo fund seeded for one suite: the code the API takes and the id the database keys on. */
export interface SeededFund {
  readonly code: string;
  readonly id: string;
}

/** Seeds a fresh demo fund (8 open positions, 2 closed, 4 PENDING proposals on DEMO_AS_OF…). */
export async function seedFund(db: Knex, prefix = 'E2E'): Promise<SeededFund> {
  const code = `${prefix}_${uid()}`;
  const result = await seedDemo(db, { asOf: DEMO_AS_OF, portfolioCode: code });
  const [id] = result.portfolioIds;
  if (result.skipped || id === undefined) throw new Error(`seeding ${code} did not write a portfolio`);
  return { code, id };
}

/** The data of a response that must have succeeded; its errors, if any, become the failure message. */
export function dataOf<T>(response: GraphQLResponse<T>): T {
  if (response.errors?.length || response.data == null) {
    throw new Error(`expected data, got HTTP ${response.status}: ${JSON.stringify(response.errors ?? response.data)}`);
  }
  return response.data;
}
