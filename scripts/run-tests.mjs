#!/usr/bin/env node
// Runs every test file under test/ with Node's own test runner, loading TypeScript through tsx.
// Without AIMLEDGER_TEST_PG_URL the PostgreSQL half of the suite is skipped, and this says so once.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  }).sort();
}

const files = process.argv.length > 2 ? process.argv.slice(2) : testFiles('test');
// The browser test serves the built console; build it when a checkout has not yet.
if (!existsSync(join('console', 'dist', 'index.html'))) {
  const build = spawnSync('npm', ['run', '--silent', 'build:console'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
if (!process.env.AIMLEDGER_TEST_PG_URL) {
  console.log('PostgreSQL skipped: AIMLEDGER_TEST_PG_URL is not set, so only the SQLite half of the suite runs.');
}
// The spec reporter to the terminal, and TAP to a file whose totals make the last line.
const tap = join(mkdtempSync(join(tmpdir(), 'aimledger-tests-')), 'results.tap');
const result = spawnSync(process.execPath, [
  '--import', 'tsx', '--test', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...files,
], { stdio: 'inherit' });
const totals = Object.fromEntries([...(existsSync(tap) ? readFileSync(tap, 'utf8') : '').matchAll(/^# (pass|fail|skipped|cancelled|todo) (\d+)$/gm)].map((m) => [m[1], Number(m[2])]));
rmSync(dirname(tap), { recursive: true, force: true });
console.log(`${totals.pass ?? 0} passed, ${(totals.fail ?? 0) + (totals.cancelled ?? 0)} failed, ${totals.skipped ?? 0} skipped`);
process.exit(result.status ?? 1);
