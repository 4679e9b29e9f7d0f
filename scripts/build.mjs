// Builds dist/ only when a source is newer than the last successful build, so that `npm start`,
// `npm run tokens` … with nothing changed start at once (a no-change `tsc` still takes seconds).
// Progress goes to stderr: stdout stays clean for `TOKEN=$(npm run -s tokens -- --role MANAGER)`.
// `node scripts/build.mjs --force` always compiles (incremental: only what changed).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// What tsconfig.build.json compiles, and what changes how it compiles.
const INPUT_DIRS = ['src', 'scripts', 'bench'];
const INPUT_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];
const STAMP = path.join(root, 'dist', '.build-stamp');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full));
    else if (entry.name.endsWith('.ts') || entry.name.endsWith('.json')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

function stampMtime() {
  try {
    return statSync(STAMP).mtimeMs;
  } catch {
    return null;
  }
}

const stamp = stampMtime();
const newest = Math.max(
  ...INPUT_DIRS.map((d) => newestMtime(path.join(root, d))),
  ...INPUT_FILES.map((f) => statSync(path.join(root, f)).mtimeMs),
);
if (stamp !== null && stamp >= newest && !process.argv.includes('--force')) process.exit(0);

const started = Date.now();
process.stderr.write(
  stamp === null
    ? 'build: compiling TypeScript to dist/ (first run, ~30 s; later runs compile only what changed)…\n'
    : 'build: sources changed, compiling TypeScript (only what changed)…\n',
);
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: ['ignore', 'inherit', 'inherit'] });
if (result.status !== 0) {
  process.stderr.write('build: TypeScript reported errors (above); nothing started\n');
  process.exit(result.status ?? 1);
}
// Stamped with the time the build began: a file saved during the build is newer, and rebuilds.
writeFileSync(STAMP, `${new Date(started).toISOString()}\n`);
utimesSync(STAMP, started / 1000, started / 1000);
process.stderr.write(`build: done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
