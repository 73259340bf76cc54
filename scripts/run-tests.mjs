#!/usr/bin/env node
// Runs every test file under test/ with Node's own test runner, loading TypeScript through tsx.
// Without AIMLEDGER_TEST_PG_URL the PostgreSQL half of the suite is skipped, and this says so once.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

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
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
