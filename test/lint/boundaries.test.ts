import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The layer boundaries of eslint.config.mjs, proven on fixtures: each file in fixtures/ is linted
 * with the project's config as if it lived where its `// as:` line says (ESLint's `filePath`),
 * and must be rejected by the rule its `// expect:` line names, with that rule's message, or pass
 * when it says `allowed`. The fixtures are text (.ts.txt), so `eslint .` and tsc never see them.
 */
const ROOT = resolve(__dirname, '../..');
const FIXTURES = join(__dirname, 'fixtures');
const BOUNDARY_RULES = new Set(['import/no-restricted-paths', 'no-restricted-imports']);

interface Fixture {
  readonly name: string;
  readonly code: string;
  /** Where it is linted as if it lived, relative to the project root. */
  readonly as: string;
  /** The rule that must reject it and a piece of its message, or null when it must pass. */
  readonly expected: { readonly ruleId: string; readonly message: string } | null;
}

function readFixture(name: string): Fixture {
  const code = readFileSync(join(FIXTURES, name), 'utf8');
  const as = /^\/\/ as: (\S+)$/m.exec(code)?.[1];
  const expect = /^\/\/ expect: (.+)$/m.exec(code)?.[1];
  if (!as || !expect) throw new Error(`${name}: needs an "// as: src/<layer>/..." and an "// expect: ..." line`);
  if (expect === 'allowed') return { name, code, as, expected: null };
  const [ruleId = '', ...message] = expect.split(' ');
  return { name, code, as, expected: { ruleId, message: message.join(' ') } };
}

const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.ts.txt')).sort().map(readFixture);

/**
 * Lints code with ESLint's Node API as if it lived at `filePath`, using the project's config with
 * only the boundary rules run and without type information (the fixtures are not files of the
 * TypeScript project, and the boundary rules need no types). In a child process: ESLint loads
 * eslint.config.mjs with a dynamic import(), which jest's module sandbox refuses without
 * --experimental-vm-modules.
 */
const LINT_AS = `
const { ESLint } = require('eslint');
const rules = new Set(${JSON.stringify([...BOUNDARY_RULES])});
const eslint = new ESLint({
  cwd: process.cwd(),
  overrideConfig: { languageOptions: { parserOptions: { projectService: false, project: null } } },
  ruleFilter: ({ ruleId }) => rules.has(ruleId),
});
let input = '';
process.stdin.on('data', (chunk) => (input += chunk)).on('end', async () => {
  const out = [];
  for (const { code, filePath } of JSON.parse(input)) {
    const [result] = await eslint.lintText(code, { filePath });
    out.push(result.messages.map(({ ruleId, message, fatal }) => ({ ruleId, message, fatal: fatal === true })));
  }
  process.stdout.write(JSON.stringify(out));
});
`;

interface Message {
  readonly ruleId: string | null;
  readonly message: string;
  readonly fatal: boolean;
}

function lintAll(all: readonly Fixture[]): Map<string, readonly Message[]> {
  const child = spawnSync(process.execPath, ['-e', LINT_AS], {
    cwd: ROOT,
    input: JSON.stringify(all.map((f) => ({ code: f.code, filePath: join(ROOT, f.as) }))),
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (child.status !== 0) throw new Error(`linting the fixtures failed: ${child.stderr || String(child.error)}`);
  const results = JSON.parse(child.stdout) as Message[][];
  return new Map(all.map((f, i) => [f.name, results[i]!]));
}

let linted: Map<string, readonly Message[]>;
beforeAll(() => {
  linted = lintAll(fixtures);
}, 60_000);

describe('layer boundaries (eslint.config.mjs)', () => {
  it('has a forbidden-import fixture for each layer and each kind of rule, and allowed ones', () => {
    const rejected = fixtures.filter((f) => f.expected);
    expect(rejected.length).toBeGreaterThanOrEqual(8);
    const layerOf = (f: Fixture) => f.as.split('/')[1];
    for (const layer of ['shared', 'domain', 'data', 'services', 'graphql', 'resolver-cache']) {
      expect(rejected.filter((f) => layerOf(f) === layer).map((f) => f.name)).not.toEqual([]);
    }
    expect(new Set(rejected.map((f) => f.expected!.ruleId))).toEqual(BOUNDARY_RULES);
    expect(fixtures.filter((f) => !f.expected).length).toBeGreaterThanOrEqual(1);
  });

  // import/no-restricted-paths skips an import it cannot resolve: a fixture whose target moved
  // would pass silently. Every relative import of a fixture must name a real file.
  it.each(fixtures.map((f) => [f.name, f] as const))('%s: its relative imports name files that exist', (_name, fixture) => {
    const from = dirname(join(ROOT, fixture.as));
    const specifiers = [...fixture.code.matchAll(/(?:from |require\()'(\.[^']*)'/g)].map((m) => m[1]!);
    for (const specifier of specifiers) {
      const target = resolve(from, specifier);
      expect([`${target}.ts`, join(target, 'index.ts')].filter(existsSync)).toHaveLength(1);
    }
  });

  it.each(fixtures.filter((f) => f.expected).map((f) => [f.name, f] as const))('rejects %s', (_name, fixture) => {
    const messages = linted.get(fixture.name)!;
    expect(messages.filter((m) => m.fatal)).toEqual([]);
    expect(messages.length).toBeGreaterThanOrEqual(1);
    for (const m of messages) {
      expect(m.ruleId).toBe(fixture.expected!.ruleId);
      expect(m.message).toContain(fixture.expected!.message);
    }
  });

  it.each(fixtures.filter((f) => !f.expected).map((f) => [f.name, f] as const))('allows %s', (_name, fixture) => {
    expect(linted.get(fixture.name)).toEqual([]);
  });
});
