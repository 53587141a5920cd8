import type { Command } from '../kit.js';
import { UserError, str } from '../kit.js';

const ACTIONS = ['list', 'show', 'use'] as const;

export const command: Command = {
  name: 'models',
  summary: "list a model directory's versions, show one, or make one current (rollback)",
  usage: 'cotrans models list|show|use [ID] --models DIR',
  positionals: { name: 'list|show|use [ID]', help: 'list: every version, * = current; show [ID]: one version (default: current); use ID: make ID current', min: 1, max: 2 },
  options: {
    models: { type: 'string', arg: 'DIR', help: 'model directory written by cotrans train' },
  },
  details: `A model directory holds immutable versions, DIR/versions/<id>/, and DIR/current, a file naming
the version that classify, run and stream load. id = creation time (UTC) + the first 8 hex
digits of a sha256 over the version's files, e.g. 20261202T141500Z-3fa9c1d2. train writes a new
version and makes it current; \`use\` only rewrites the pointer (atomically), so a rollback is
instant, and a process that polls the pointer sees it without a restart. A directory written before versions
(manifest.json at its top) is shown as one unnamed version until train writes into it.
Exit 1 on an unknown id or action, or a directory that is not a model directory.`,
  examples: [
    'cotrans models list --models /tmp/models',
    'cotrans models show --models /tmp/models',
    'cotrans models use 20261202T141500Z-3fa9c1d2 --models /tmp/models   # roll back',
  ],
  async run(args) {
    const learn = await import('@cotrans/cotrans');
    const dir = str(args, 'models', true);
    const [action, id] = args.positionals;
    if (!(ACTIONS as readonly string[]).includes(action)) throw new UserError(`unknown action '${action}' (expected ${ACTIONS.join(', ')}; see cotrans models --help)`);
    if (action === 'use') {
      if (!id) throw new UserError('models use needs the ID of a version (see cotrans models list)');
      const was = learn.currentVersion(dir);
      await learn.useVersion(dir, id);
      process.stdout.write(`current: ${id}${was && was !== id ? ` (was ${was})` : ''}\n`);
      return;
    }
    if (action === 'list') {
      if (id) throw new UserError(`unexpected argument '${id}': models list takes no ID`);
      const versions = await learn.listVersions(dir);
      if (!versions.length) {
        process.stdout.write(`${dir}: one version written before versions (manifest.json at the top); train into it to start versions\n`);
        return;
      }
      for (const v of versions) {
        let about: string;
        try {
          const s = learn.modelSummary((await learn.readManifest(v.path)).manifest);
          about = `members ${s.members}, rounds ${s.rounds}, predicted shared ${s.predictedSharedShare === null ? '?' : `${(100 * s.predictedSharedShare).toFixed(1)}%`}`;
        } catch (e) {
          about = `unreadable: ${(e as Error).message}`;
        }
        process.stdout.write(`${v.current ? '*' : ' '} ${v.id}  ${about}\n`);
      }
      return;
    }
    const target = id ? learn.versionPath(dir, id) : learn.resolveModelDir(dir).path;
    if (id && !(await learn.listVersions(dir)).some((v) => v.id === id)) throw new UserError(`${dir}: holds no version ${id} (see cotrans models list)`);
    const { manifest } = await learn.readManifest(target);
    const shown = { id: id ?? learn.currentVersion(dir), current: (id ?? learn.currentVersion(dir)) === learn.currentVersion(dir), path: target, createdAt: manifest.createdAt, tz: manifest.features.tz, ...learn.modelSummary(manifest) };
    process.stdout.write(JSON.stringify(shown, null, 1) + '\n');
  },
};
