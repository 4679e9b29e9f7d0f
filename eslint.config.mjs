// @ts-check
import tseslint from 'typescript-eslint';

/**
 * Layer boundaries (ARCHITECTURE.md): imports point inward, server → graphql → services → data →
 * domain. Each layer lists what it must not import.
 */
const boundary = (files, forbidden, why) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', { patterns: [{ group: forbidden, message: why }] }],
  },
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'client/generated/**', '.data/**', '*.js', '*.mjs'] },
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
  boundary(['src/domain/**/*.ts'], ['../data/*', '../services/*', '../graphql/*', '../server/*', 'knex', 'pg', 'ioredis', 'graphql', 'type-graphql'],
    'domain is pure: no I/O, no GraphQL'),
  boundary(['src/data/**/*.ts'], ['../services/*', '../graphql/*', '../server/*', '../../services/*', '../../graphql/*', '../../server/*', 'graphql', 'type-graphql'],
    'data sits below services and GraphQL'),
  boundary(['src/services/**/*.ts'], ['../graphql/*', '../server/*', 'graphql', 'type-graphql'],
    'services know nothing of GraphQL or the server'),
  boundary(['src/graphql/**/*.ts'], ['../server/*', '../data/*.repository', '../../server/*', 'knex', 'pg'],
    'resolvers call services and loaders, never knex or repositories'),
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
