import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/**
 * Issue 16's rule for the cache plugin's tests: time moves by the injected clock
 * (`fixedClock().advance`), not by sleeping; a real-time wait over 100 ms is refused. What stays
 * real is short: a store's timeout, a breaker's probe, a Redis that must be reached.
 */
const ROOT = resolve(__dirname, '../..');
const PLUGIN_TESTS = [join(ROOT, 'src/resolver-cache'), join(ROOT, 'test/resolver-cache')];
const MAX_SLEEP_MS = 100;

/** Literal waits of a file: `sleep(n)`, `setTimeout(resolve, n)`, `delayMs: n`, with where they are. */
function realTimeWaits(code: string): { readonly line: number; readonly ms: number; readonly text: string }[] {
  const waits: { line: number; ms: number; text: string }[] = [];
  const pattern = /\b(?:sleep\(\s*|setTimeout\(\s*resolve\s*,\s*|delayMs:\s*)([\d_]+(?:\.\d+)?)/g;
  code.split('\n').forEach((text, i) => {
    for (const match of text.matchAll(pattern)) waits.push({ line: i + 1, ms: Number(match[1]!.replace(/_/g, '')), text: text.trim() });
  });
  return waits;
}

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return testFiles(path);
    return e.isFile() && e.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('the cache plugin’s tests', () => {
  it('find every literal wait (the check itself)', () => {
    const sample = ['await sleep(1_100);', 'await new Promise((resolve) => setTimeout(resolve, 250));', "inner.set({ delayMs: 101 });", 'await sleep(20);'].join('\n');
    expect(realTimeWaits(sample).map((w) => [w.line, w.ms])).toEqual([[1, 1100], [2, 250], [3, 101], [4, 20]]);
  });

  it(`wait no more than ${MAX_SLEEP_MS} ms of real time at once`, () => {
    const files = PLUGIN_TESTS.flatMap(testFiles);
    expect(files.length).toBeGreaterThan(5);
    const waits = files.flatMap((file) => realTimeWaits(readFileSync(file, 'utf8')).map((w) => ({ ...w, file: relative(ROOT, file) })));
    // The short real waits that remain are found, so a longer one would be too.
    expect(waits.length).toBeGreaterThan(3);
    expect(waits.filter((w) => w.ms > MAX_SLEEP_MS).map((w) => `${w.file}:${w.line}: ${w.text}`)).toEqual([]);
  });
});
