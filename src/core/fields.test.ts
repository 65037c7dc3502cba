import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FIELD_CATALOGUE } from './fields';
import { emptyRecord } from './record';

describe('field catalogue', () => {
  it('has one entry per record field, in the record', () => {
    expect(FIELD_CATALOGUE.map((f) => f.name).sort()).toEqual(Object.keys(emptyRecord('gcore', 's', 0)).sort());
  });

  it('is the table of record fields in the README', () => {
    const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    const documented = [...readme.matchAll(/^\| `(\w+)` \| (number|string|enum|object) \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(FIELD_CATALOGUE.map((f) => f.name).sort());
  });
});
