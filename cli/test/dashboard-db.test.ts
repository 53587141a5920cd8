// `cotrans dashboard --db`: bad stores and option clashes are exit 1 with one line naming them.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStore } from '@cotrans/ingest';
import { errorLine, run } from './helpers/run.js';


describe('cotrans dashboard --db', () => {
  it('names a missing store, one without labels, a non-database, and clashing options', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cotrans-dash-db-'));
    const p = (f: string) => path.join(dir, f);
    expect(errorLine(await run(['dashboard', '--db', p('none.sqlite'), '--port', '0']), 'dashboard')).toMatch(/none\.sqlite.*no such store database/);
    openStore(p('empty.sqlite')).close();
    expect(errorLine(await run(['dashboard', '--db', p('empty.sqlite'), '--port', '0']), 'dashboard')).toMatch(/empty\.sqlite.*holds no cotrans\.labels tables/);
    writeFileSync(p('junk.sqlite'), 'plain text, not a database\n'.repeat(50));
    expect(errorLine(await run(['dashboard', '--db', p('junk.sqlite'), '--port', '0']), 'dashboard')).toMatch(/junk\.sqlite.*not a SQLite database/);
    writeFileSync(p('pred.csv'), 'vehicle_id,label,p_shared,p_rf,p_cnn,flags\ncar-1,shared,0.9,0.8,0.7,\n');
    expect(errorLine(await run(['dashboard', '--db', p('empty.sqlite'), '--pred', p('pred.csv')]), 'dashboard')).toMatch(/--db and --pred: give one of them/);
    expect(errorLine(await run(['dashboard', '--db', p('empty.sqlite'), '--reviews', p('r.sqlite')]), 'dashboard')).toMatch(/--reviews: with --db the reviews are kept in the store/);
    expect(errorLine(await run(['dashboard']), 'dashboard')).toMatch(/--db FILE .* or --pred FILE .* is required/);
    const help = await run(['dashboard', '--help']);
    expect(help.out).toContain('--db FILE');
    expect(help.out).toContain('cotrans dashboard --db out/cotrans.sqlite');
  });
});
