// Writes the compiled SQL of the hot statements (src/store/sql/*.sql) for review; test/sql.test.ts checks it.
import { writeFileSync } from 'node:fs';
import { compileHotStatements, SNAPSHOT_FILES } from '../test/helpers/sql-snapshot.js';

const compiled = await compileHotStatements();
for (const [backend, file] of Object.entries(SNAPSHOT_FILES)) {
  writeFileSync(file, compiled[backend as keyof typeof SNAPSHOT_FILES]);
  console.log(`wrote ${file}`);
}
