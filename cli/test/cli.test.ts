import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { commands } from '../src/commands/index.js';
import { run } from './helpers/run.js';

describe('cotrans CLI conventions', () => {
  it('lists every command in the top-level help', async () => {
    const { code, out } = await run(['--help']);
    expect(code).toBe(0);
    for (const name of Object.keys(commands)) expect(out).toContain(`  ${name}`);
  });

  it.each(Object.keys(commands))('%s --help shows usage, options and examples', async (name) => {
    const { code, out } = await run([name, '--help']);
    expect(code).toBe(0);
    expect(out).toMatch(/Usage: cotrans /);
    expect(out).toContain('Options:');
    expect(out).toMatch(/Examples:\n {2}cotrans /);
    expect(out).not.toContain('not yet implemented');
  });

  it('exits 1 with a one-line message for an unknown command or option', async () => {
    const a = await run(['frobnicate']);
    expect(a.code).toBe(1);
    expect(a.err).toBe("cotrans: unknown command 'frobnicate' (see cotrans --help)\n");
    const b = await run(['dashboard', '--bogus']);
    expect(b.code).toBe(1);
    expect(b.err.trim().split('\n')).toHaveLength(1);
    expect(b.err).toContain("'--bogus'");
  });

  it('evaluate --experiment is an alias of experiment; evaluate --help points to it', async () => {
    const alias = await run(['evaluate', '--experiment', '--source', 'a.csv', '--source-labels', 'a.csv', '--target', 'a.csv', '--truth', 'a.csv', '--out', 'x', '--weight-rf', '2']);
    expect(alias.code).toBe(1);
    expect(alias.err).toBe("cotrans experiment: invalid --weight-rf '2': must be <= 1\n");
    const help = await run(['evaluate', '--help']);
    expect(help.out).toContain('`cotrans evaluate --experiment ...`');
    expect(help.out).toContain('is an alias of it');
  });

  it('train and experiment name a bad learning option and its allowed values, before reading any data', async () => {
    const base = ['--source', 'nowhere.csv', '--source-labels', 'nowhere.csv', '--target', 'nowhere.csv'];
    const a = await run(['train', ...base, '--models', 'nowhere', '--decision', 'median']);
    expect(a.code).toBe(1);
    expect(a.err).toContain("invalid --decision 'median' (expected otsu, valley-emphasis, balanced)");
    const b = await run(['experiment', ...base, '--truth', 'nowhere.csv', '--out', 'nowhere', '--weight-rf', '1.5']);
    expect(b.code).toBe(1);
    expect(b.err).toContain("invalid --weight-rf '1.5': must be <= 1");
    const c = await run(['train', ...base, '--models', 'nowhere', '--m1-source', 'yes']);
    expect(c.code).toBe(1);
    expect(c.err).toContain("invalid --m1-source 'yes' (expected on, off)");
    const d = await run(['train', ...base, '--models', 'nowhere', '--cut-guard', '0.5']);
    expect(d.code).toBe(1);
    expect(d.err).toContain("invalid --cut-guard '0.5': must be >= 1");
    const e = await run(['train', ...base, '--models', 'nowhere', '--jobs', '0']);
    expect(e.code).toBe(1);
    expect(e.err).toContain("invalid --jobs '0': must be >= 1");
    const f = await run(['train', ...base, '--models', 'nowhere', '--cnn-fit-cap', '2.5']);
    expect(f.code).toBe(1);
    expect(f.err).toContain("invalid --cnn-fit-cap '2.5': must be an integer");
  });

  it('runs as `npx cotrans` from the built bin', () => {
    const bin = fileURLToPath(new URL('../bin/cotrans.js', import.meta.url));
    const r = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: cotrans <command>');
  });
});
