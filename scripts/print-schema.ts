import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { lexicographicSortSchema } from 'graphql';
import { buildGatewaySchema } from '../src/graphql/schema';

/**
 * Prints the schema built from the TypeGraphQL classes to schema.graphql (sorted, so the diff of
 * a change shows only what changed). With --check, exits 1 when the committed file is stale.
 */
async function main(): Promise<void> {
  // npm runs scripts from the package root, where schema.graphql lives.
  const file = resolve(process.cwd(), 'schema.graphql');
  const header = '# Generated from the TypeGraphQL classes by `npm run schema`. Do not edit.\n\n';
  // graphql-js's printSchema drops directive usages; this printer keeps `type Book @cached(ttl: 30)`.
  const text = header + printSchemaWithDirectives(lexicographicSortSchema(await buildGatewaySchema())) + '\n';
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (current !== text) {
      console.error('schema.graphql is stale: run `npm run schema` and commit the result.');
      process.exit(1);
    }
    console.log('schema.graphql is up to date.');
    return;
  }
  writeFileSync(file, text);
  console.log(`wrote ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
