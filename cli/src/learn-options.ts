// The learning options `train` and `experiment` share: one spec, one parser, so the experiment
// measures exactly what `train` would build. Defaults and choice lists come from the library.
import {
  ALIGNMENTS,
  DAY_SCORES,
  DECISIONS,
  DEFAULT_CNN,
  DEFAULT_COTRAIN,
  DEFAULT_IMAGE_MODEL,
  DEFAULT_M1_SOURCE,
  DEFAULT_M1_VIEW,
  DEFAULT_MEMBERS,
  DEFAULT_STAGE1,
  DEFAULT_UNIT_COLUMNS,
  IMAGE_MODES,
  M1_VIEWS,
  type CotrainOptions,
  type M1View,
  type Stage1Options,
} from '@cotrans/cotrans';
import { type OptionSpec, type ParsedArgs, UserError, list, num, str } from './kit.js';
import { FEATURE_COLUMNS } from '@cotrans/features';

const oneOf = <const T extends string>(args: ParsedArgs, name: string, allowed: readonly T[], def: T): T => {
  const v = str(args, name) ?? def;
  if (!(allowed as readonly string[]).includes(v)) throw new UserError(`invalid --${name} '${v}' (expected ${allowed.join(', ')})`, { option: name });
  return v as T;
};

const ON_OFF = ['on', 'off'] as const;
const onOffOf = (v: boolean): 'on' | 'off' => (v ? 'on' : 'off');

/** An on|off option with its default. */
export const onOff = (args: ParsedArgs, name: string, def = true): boolean => oneOf(args, name, ON_OFF, onOffOf(def)) === 'on';

const C = DEFAULT_COTRAIN;
const I = DEFAULT_IMAGE_MODEL;

export const LEARN_OPTIONS: Record<string, OptionSpec> = {
  members: { type: 'string', arg: 'N', help: 'CoTrans runs bagged (train seeds --seed, --seed + 1, ...): the label is the sign of the mean of their margins; 1 = a single run', default: String(DEFAULT_MEMBERS) },
  alignment: { type: 'string', arg: ALIGNMENTS.join('|'), help: "stage-1 domain alignment (anchored: each city's private cars on one robust scale)", default: DEFAULT_STAGE1.alignment },
  rounds: { type: 'string', arg: 'N', help: 'maximum co-training rounds', default: String(C.maxRounds) },
  'per-round': { type: 'string', arg: 'FRACTION', help: 'additions per model per round, as a share of the target', default: String(C.perRound) },
  floor: { type: 'string', arg: 'P', help: 'confidence an addition needs', default: String(C.floor) },
  'image-mode': { type: 'string', arg: IMAGE_MODES.join('|'), help: 'CNN: per-day images, days as channels, or both averaged', default: I.mode },
  'day-score': { type: 'string', arg: DAY_SCORES.join('|'), help: "CNN: a vehicle's score from its day scores: mean log-odds of its --top-days best days, or the mean of all", default: I.dayScore },
  'top-days': { type: 'string', arg: 'K', help: 'CNN: days averaged by --day-score top', default: String(I.topDays) },
  epochs: { type: 'string', arg: 'N', help: 'CNN maximum epochs (early stopping on held-out vehicles)', default: String(DEFAULT_CNN.maxEpochs) },
  decision: {
    type: 'string',
    arg: DECISIONS.join('|'),
    help: "final cut of the ensemble's log-odds over the target: Otsu's threshold, Otsu's weighed towards sparse scores, or 0",
    default: C.decision,
  },
  'cut-guard': {
    type: 'string',
    arg: 'X|off',
    help: "otsu/valley-emphasis: if the cut puts over X times stage 1's estimated share of the target above it, cut again among the vehicles above it",
    default: String(C.cutGuard),
  },
  'cut-floor': {
    type: 'string',
    arg: 'X|off',
    help: "otsu/valley-emphasis: the cut puts at least X times stage 1's estimated number of shared vehicles above it",
    default: C.cutFloor > 0 ? String(C.cutFloor) : 'off',
  },
  'unit-columns': {
    type: 'string',
    arg: 'LIST|none',
    help: "feature columns that stage 1's alignment and M1's scales leave in their own units (comma separated)",
    default: DEFAULT_UNIT_COLUMNS.join(','),
  },
  'cnn-fit-cap': {
    type: 'string',
    arg: 'N|off',
    help: "vehicles one CNN fit trains on at most: a larger set is sampled afresh each round, each class keeping its share",
    default: String(C.cnnFitCap),
  },
  jobs: { type: 'string', arg: 'N', help: "bagged runs trained at once, each on its own worker thread (default: all of --members; 1 = one after the other); experiment: also its CNN rows beside CoTrans at once (default: the machine's cores)" },
  'weight-rf': { type: 'string', arg: 'W', help: 'ensemble weight of M1 (RF) against M2 (CNN), in [0, 1]', default: String(C.weightRf) },
  'm1-source': { type: 'string', arg: ON_OFF.join('|'), help: 'M1 (RF) also trains on the labelled source vehicles, each city on its own anchored scale', default: onOffOf(DEFAULT_M1_SOURCE) },
  'm1-view': { type: 'string', arg: M1_VIEWS.join('|'), help: "M1 (RF)'s features: stage 1's transferable columns, or every column (stays, places and speeds change meaning with how completely a device logs)", default: DEFAULT_M1_VIEW },
};

export function learnOptions(args: ParsedArgs): { stage1: Partial<Stage1Options>; cotrain: Partial<CotrainOptions>; m1Source: boolean; m1View: M1View; members: number; jobs?: number; unitColumns: string[] } {
  const jobs = num(args, 'jobs', { integer: true, min: 1, max: 20 });
  return {
    ...(jobs !== undefined ? { jobs } : {}),
    unitColumns: unitColumns(str(args, 'unit-columns')),
    m1View: oneOf(args, 'm1-view', M1_VIEWS, DEFAULT_M1_VIEW),
    members: num(args, 'members', { def: DEFAULT_MEMBERS, integer: true, min: 1, max: 20 })!,
    m1Source: onOff(args, 'm1-source', DEFAULT_M1_SOURCE),
    stage1: { alignment: oneOf(args, 'alignment', ALIGNMENTS, DEFAULT_STAGE1.alignment) },
    cotrain: {
      maxRounds: num(args, 'rounds', { def: C.maxRounds, integer: true, min: 1 })!,
      perRound: num(args, 'per-round', { def: C.perRound, min: 0.001, max: 0.5 })!,
      floor: num(args, 'floor', { def: C.floor, min: 0.5, max: 1 })!,
      decision: oneOf(args, 'decision', DECISIONS, C.decision),
      cutGuard: str(args, 'cut-guard') === 'off' ? Infinity : num(args, 'cut-guard', { def: C.cutGuard, min: 1 })!,
      cutFloor: str(args, 'cut-floor') === 'off' ? 0 : num(args, 'cut-floor', { def: C.cutFloor, min: 0, max: 3 })!,
      weightRf: num(args, 'weight-rf', { def: C.weightRf, min: 0, max: 1 })!,
      cnnFitCap: str(args, 'cnn-fit-cap') === 'off' ? Infinity : num(args, 'cnn-fit-cap', { def: C.cnnFitCap, integer: true, min: 10 })!,
      image: {
        mode: oneOf(args, 'image-mode', IMAGE_MODES, I.mode),
        dayScore: oneOf(args, 'day-score', DAY_SCORES, I.dayScore),
        topDays: num(args, 'top-days', { def: I.topDays, integer: true, min: 1 })!,
        cnn: { maxEpochs: num(args, 'epochs', { def: DEFAULT_CNN.maxEpochs, integer: true, min: 1 })! },
      },
    },
  };
}

function unitColumns(v: string | undefined): string[] {
  if (v === undefined) return [...DEFAULT_UNIT_COLUMNS];
  if (v === 'none') return [];
  const names = v.split(',').map((c) => c.trim()).filter(Boolean);
  const unknown = names.filter((c) => !FEATURE_COLUMNS.includes(c));
  if (unknown.length) throw new UserError(`invalid --unit-columns: unknown column ${unknown.join(', ')} (feature columns: ${FEATURE_COLUMNS.join(', ')})`, { option: 'unit-columns' });
  return names;
}

/** The labelled sources and the target, as `train` and `experiment` both take them. */
export const FLEET_OPTIONS: Record<string, OptionSpec> = {
  source: { type: 'string', arg: 'PATH', multiple: true, help: 'labeled source fleet GPS log (file or directory); give it again for another source (e.g. a simulated fleet and a few real labelled cars), each with its own --source-labels' },
  'source-labels': { type: 'string', arg: 'FILE', multiple: true, help: 'source labels CSV: vehicle_id,label[,stratum] (label shared|private), one per --source, in the same order' },
  target: { type: 'string', arg: 'PATH', help: 'unlabeled target fleet GPS log' },
  tz: { type: 'string', arg: 'Area/City', help: 'time zone of both fleets; default: city.json next to each input' },
};

/** The --source/--source-labels pairs, in order; a UserError when their counts differ. */
export function sourcePairs(args: ParsedArgs): { sources: string[]; labelPaths: string[] } {
  const sources = list(args, 'source');
  const labelPaths = list(args, 'source-labels');
  if (labelPaths.length !== sources.length) throw new UserError(`--source given ${sources.length} time(s) but --source-labels ${labelPaths.length}: one labels file per source, in the same order`);
  return { sources, labelPaths };
}
