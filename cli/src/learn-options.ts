// The learning options `train` and `evaluate --experiment` share: one spec, one parser, so the
// experiment measures exactly what `train` would build.
import type { CotrainOptions, M1View, Stage1Options } from '@cotrans/cotrans';
import { type OptionSpec, type ParsedArgs, UserError, num, str } from './kit.js';

const oneOf = <const T extends string>(args: ParsedArgs, name: string, allowed: readonly T[], def: T): T => {
  const v = str(args, name) ?? def;
  if (!(allowed as readonly string[]).includes(v)) throw new UserError(`invalid --${name} '${v}' (expected ${allowed.join(', ')})`);
  return v as T;
};

/** An on|off option (default on). */
export const onOff = (args: ParsedArgs, name: string): boolean => oneOf(args, name, ['on', 'off'] as const, 'on') === 'on';

export const LEARN_OPTIONS: Record<string, OptionSpec> = {
  members: { type: 'string', arg: 'N', help: 'CoTrans runs bagged (train seeds --seed, --seed + 1, ...): the label is the sign of the mean of their margins; 1 = a single run', default: '3' },
  alignment: { type: 'string', arg: 'anchored|coral|standardise|none', help: "stage-1 domain alignment (anchored: each city's private cars on one robust scale)", default: 'anchored' },
  rounds: { type: 'string', arg: 'N', help: 'maximum co-training rounds', default: '8' },
  'per-round': { type: 'string', arg: 'FRACTION', help: 'additions per model per round, as a share of the target', default: '0.05' },
  floor: { type: 'string', arg: 'P', help: 'confidence an addition needs', default: '0.8' },
  'image-mode': { type: 'string', arg: 'day|vehicle|both', help: 'CNN: per-day images, days as channels, or both averaged', default: 'day' },
  'day-score': { type: 'string', arg: 'top|mean', help: "CNN: a vehicle's score from its day scores: mean log-odds of its --top-days best days, or the mean of all", default: 'top' },
  'top-days': { type: 'string', arg: 'K', help: 'CNN: days averaged by --day-score top', default: '2' },
  epochs: { type: 'string', arg: 'N', help: 'CNN maximum epochs (early stopping on held-out vehicles)', default: '30' },
  decision: {
    type: 'string',
    arg: 'otsu|valley-emphasis|valley|balanced',
    help: "final cut of the ensemble's log-odds over the target: Otsu's threshold, Otsu's weighed towards sparse scores, the first density valley, or 0",
    default: 'otsu',
  },
  'cut-guard': {
    type: 'string',
    arg: 'X|off',
    help: "otsu/valley-emphasis: if the cut puts over X times stage 1's estimated share of the target above it, cut again among the vehicles above it",
    default: '3',
  },
  'weight-rf': { type: 'string', arg: 'W', help: 'ensemble weight of M1 (RF) against M2 (CNN), in [0, 1]', default: '0.25' },
  'm1-source': { type: 'string', arg: 'on|off', help: 'M1 (RF) also trains on the labelled source vehicles, each city on its own anchored scale', default: 'on' },
  'm1-view': { type: 'string', arg: 'transferable|full', help: "M1 (RF)'s features: stage 1's transferable columns, or every column (stays, places and speeds change meaning with how completely a device logs)", default: 'transferable' },
};

export function learnOptions(args: ParsedArgs): { stage1: Partial<Stage1Options>; cotrain: Partial<CotrainOptions>; m1Source: boolean; m1View: M1View; members: number } {
  return {
    m1View: oneOf(args, 'm1-view', ['transferable', 'full'] as const, 'transferable'),
    members: num(args, 'members', { def: 3, integer: true, min: 1, max: 20 })!,
    m1Source: onOff(args, 'm1-source'),
    stage1: { alignment: oneOf(args, 'alignment', ['anchored', 'coral', 'standardise', 'none'] as const, 'anchored') },
    cotrain: {
      maxRounds: num(args, 'rounds', { def: 8, integer: true, min: 1 })!,
      perRound: num(args, 'per-round', { def: 0.05, min: 0.001, max: 0.5 })!,
      floor: num(args, 'floor', { def: 0.8, min: 0.5, max: 1 })!,
      decision: oneOf(args, 'decision', ['otsu', 'valley-emphasis', 'valley', 'balanced'] as const, 'otsu'),
      cutGuard: str(args, 'cut-guard') === 'off' ? Infinity : num(args, 'cut-guard', { def: 3, min: 1 })!,
      weightRf: num(args, 'weight-rf', { def: 0.25, min: 0, max: 1 })!,
      image: {
        mode: oneOf(args, 'image-mode', ['day', 'vehicle', 'both'] as const, 'day'),
        dayScore: oneOf(args, 'day-score', ['top', 'mean'] as const, 'top'),
        topDays: num(args, 'top-days', { def: 2, integer: true, min: 1 })!,
        cnn: { maxEpochs: num(args, 'epochs', { def: 30, integer: true, min: 1 })! },
      },
    },
  };
}
