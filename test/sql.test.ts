import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { compileHotStatements, SNAPSHOT_FILES } from './helpers/sql-snapshot.js';

describe('compiled SQL of the hot statements', () => {
  it('matches the committed files (npm run sql:update rewrites them after a deliberate change)', async () => {
    const compiled = await compileHotStatements();
    for (const [backend, file] of Object.entries(SNAPSHOT_FILES)) {
      assert.equal(compiled[backend as keyof typeof SNAPSHOT_FILES], readFileSync(file, 'utf8'),
        `${file} is out of date: the generated SQL changed. Review it, then run npm run sql:update and commit the file.`);
    }
  });
});
