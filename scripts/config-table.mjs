// Writes the configuration table into README.md from the one list of settings
// (apps/gateway/src/config/fields.ts), so the docs cannot drift from the code. A test checks it.
import { readFileSync, writeFileSync } from 'node:fs';
import { FIELDS } from '../apps/gateway/dist/config/fields.js';
import { withConfigTable } from '../apps/gateway/dist/config/table.js';

writeFileSync('README.md', withConfigTable(readFileSync('README.md', 'utf8'), FIELDS));
console.log('README.md configuration table updated');
