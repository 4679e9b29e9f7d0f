// @ts-check
import importPlugin from 'eslint-plugin-import';
import tseslint from 'typescript-eslint';

/**
 * Layer boundaries (ARCHITECTURE.md, "Layers and the direction of imports"). Imports point inward,
 * server → graphql → services → data → domain; the cache plugin (resolver-cache) is imported by
 * server and, through its index.ts only, by graphql, and imports nothing of the project; shared
 * holds dependency-free helpers any layer may import, and imports nothing. Proven by
 * test/lint/boundaries.test.ts, which lints one forbidden import per rule.
 *
 * Between layers: `import/no-restricted-paths`, which resolves each import to a file before
 * matching, so `../data/db`, `../../data/db` and a re-export are one and the same import (string
 * patterns missed the deeper spellings). Libraries: `no-restricted-imports`, by package name.
 */
const LAYERS = ['shared', 'domain', 'data', 'services', 'graphql', 'resolver-cache', 'server'];

/** What each layer may import of the others (itself always); server imports everything. */
const MAY_IMPORT = {
  shared: [],
  domain: ['shared'],
  data: ['domain', 'shared'],
  services: ['data', 'domain', 'shared'],
  graphql: ['services', 'domain', 'shared'],
  'resolver-cache': ['shared'],
};

const WHY = {
  shared: 'shared is dependency-free: it imports nothing of the project.',
  domain: 'domain is pure: no I/O, no GraphQL, no cache; it imports only shared.',
  data: 'data imports only domain (and shared): it sits below services, GraphQL and the cache.',
  services: 'services import data and domain only: they know nothing of GraphQL, the cache or the server.',
  graphql: 'graphql calls services and domain, and the cache plugin through its public entry (src/resolver-cache/index.ts) only.',
  'resolver-cache': 'the cache plugin knows nothing of the application: it imports nothing of the project outside itself (and shared).',
};

const zones = Object.entries(MAY_IMPORT).flatMap(([layer, allowed]) =>
  LAYERS.filter((other) => other !== layer && !allowed.includes(other)).map((other) => ({
    target: `./src/${layer}`,
    from: `./src/${other}`,
    // graphql declares the cache (directive, policy types) through the plugin's one public entry.
    ...(layer === 'graphql' && other === 'resolver-cache' ? { except: ['./index.ts'] } : {}),
    message: `${layer} must not import ${other}: ${WHY[layer]}`,
  })),
).concat({
  // The server may import anything, but the plugin only as a package would be: its public entry.
  target: './src/server',
  from: './src/resolver-cache',
  except: ['./index.ts'],
  message: 'server uses the cache plugin through its public entry (src/resolver-cache/index.ts), as any adopter would.',
});

/**
 * Libraries, by `no-restricted-imports` regex: a package (a regex source, so a scope can be
 * `@apollo/[^/]+`) and its subpaths.
 */
const lib = (packages, why) => ({ regex: `^(?:${packages.join('|')})(?:/|$)`, message: why });
const DATABASE = ['knex', 'knex-pglite', 'pg', '@electric-sql/[^/]+'];
const REDIS = ['ioredis'];
const GRAPHQL = ['graphql', 'graphql-[^/]+', 'type-graphql', '@apollo/[^/]+', '@graphql-tools/[^/]+'];
const NODE_IO = ['(?:node:)?(?:fs|net|http|https|http2|tls|dgram|dns|child_process|worker_threads|cluster)'];

const IO = [...DATABASE, ...REDIS, ...GRAPHQL, 'dataloader', ...NODE_IO];

const LIBRARIES = {
  shared: [lib(IO, WHY.shared)],
  domain: [lib(IO, WHY.domain)],
  data: [lib([...REDIS, ...GRAPHQL], 'data talks to the database only: no Redis, no GraphQL.')],
  services: [
    lib([...REDIS], 'services know nothing of the cache store: they announce facts, the server wires the cache.'),
    lib(GRAPHQL, 'services know nothing of GraphQL.'),
    lib(DATABASE.filter((p) => p !== 'knex'), 'services own transactions through knex; the drivers belong to data.'),
  ],
  graphql: [lib([...DATABASE, ...REDIS], 'resolvers call services and loaders, never the database or Redis.')],
  'resolver-cache': [lib([...DATABASE, 'type-graphql'], 'the cache plugin depends on graphql-js and its store, not on the database or TypeGraphQL.')],
};

const libraryRules = Object.entries(LIBRARIES).map(([layer, patterns]) => ({
  files: [`src/${layer}/**/*.ts`],
  rules: { 'no-restricted-imports': ['error', { patterns }] },
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'client/generated/**', '.data/**', '*.js', '*.mjs', 'scripts/*.mjs'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // TypeGraphQL classes are data holders with definite-assignment fields.
      '@typescript-eslint/no-extraneous-class': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { import: importPlugin },
    settings: {
      // Resolve relative imports of .ts files; an import the rule cannot resolve is not checked
      // (tsc fails on those), so the fixtures test proves the resolver finds the layers.
      'import/resolver': { node: { extensions: ['.ts', '.js', '.json'] } },
    },
    rules: {
      'import/no-restricted-paths': ['error', { zones, basePath: import.meta.dirname }],
    },
  },
  ...libraryRules,
  {
    // knex returns untyped rows by design; the row mappers are where they get their types.
    files: ['src/data/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  {
    files: ['test/**/*.ts', '**/*.test.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
