// `cotrans dashboard --db`: bad stores and option clashes are exit 1 with one line naming them.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStore } from '@cotrans/ingest';
import { run } from './helpers/run.js';

const oneLine = (r: { code: number; err: string }) => {
  expect(r.code, r.err).toBe(1);
  const lines = r.err.trim().split('\n').filter((l) => !l.startsWith('{'));
  expect(lines).toHaveLength(1);
  expect(lines[0].startsWith('cotrans dashboard: '), lines[0]).toBe(true);
  return lines[0];
};

describe('cotrans dashboard --db', () => {
  it('names a missing store, one without labels, a non-database, and clashing options', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cotrans-dash-db-'));
    const p = (f: string) => path.join(dir, f);
    expect(oneLine(await run(['dashboard', '--db', p('none.sqlite'), '--port', '0']))).toMatch(/none\.sqlite.*no such store database/);
    openStore(p('empty.sqlite')).close();
    expect(oneLine(await run(['dashboard', '--db', p('empty.sqlite'), '--port', '0']))).toMatch(/empty\.sqlite.*holds no cotrans\.labels tables/);
    writeFileSync(p('junk.sqlite'), 'plain text, not a database\n'.repeat(50));
    expect(oneLine(await run(['dashboard', '--db', p('junk.sqlite'), '--port', '0']))).toMatch(/junk\.sqlite.*not a SQLite database/);
    writeFileSync(p('pred.csv'), 'vehicle_id,label,p_shared,p_rf,p_cnn,flags\ncar-1,shared,0.9,0.8,0.7,\n');
    expect(oneLine(await run(['dashboard', '--db', p('empty.sqlite'), '--pred', p('pred.csv')]))).toMatch(/--db and --pred: give one of them/);
    expect(oneLine(await run(['dashboard', '--db', p('empty.sqlite'), '--reviews', p('r.sqlite')]))).toMatch(/--reviews: with --db the reviews are kept in the store/);
    expect(oneLine(await run(['dashboard']))).toMatch(/--db FILE .* or --pred FILE .* is required/);
    const help = await run(['dashboard', '--help']);
    expect(help.out).toContain('--db FILE');
    expect(help.out).toContain('cotrans dashboard --db out/cotrans.sqlite');
  });
});
