// Model versions in the store: which versions scored labels, and what their training said.
import { prepared, type Db } from '@cotrans/ingest';
import type { Manifest } from '../model.js';

/** What a version's training reported, for the dashboard and audits. */
export interface ModelSummary {
  /** Co-training rounds (the first member's, for a bag). */
  rounds: number;
  /** Share of the target on which M1 and M2 agreed in the last round. */
  agreement: number | null;
  /** Stage 1's MMD between source and target on every transferable column, before and after alignment. */
  domainDistance: { before: number; after: number } | null;
  /** F1 against truth, when training was given one. */
  f1: number | null;
  members: number;
  predictedSharedShare: number | null;
  stopReason: string;
}

export interface ModelVersionRecord {
  id: string;
  /** ISO time the version was written. */
  createdAt: string;
  summary: ModelSummary;
}

/** Records a version once; recording it again keeps the first row. */
export function recordModelVersion(db: Db, v: ModelVersionRecord): void {
  prepared(db, 'INSERT OR IGNORE INTO model_versions VALUES (?, ?, ?, ?)').run(v.id, v.createdAt, new Date().toISOString(), JSON.stringify(v.summary));
}

type Row = { id: string; created_at: string; summary: string };
const fromRow = (r: Row): ModelVersionRecord => ({ id: r.id, createdAt: r.created_at, summary: JSON.parse(r.summary) as ModelSummary });

/** Every recorded version, oldest first. */
export function modelVersions(db: Db): ModelVersionRecord[] {
  return (prepared(db, 'SELECT id, created_at, summary FROM model_versions ORDER BY created_at, id').all() as Row[]).map(fromRow);
}

export function modelVersion(db: Db, id: string): ModelVersionRecord | undefined {
  const r = prepared(db, 'SELECT id, created_at, summary FROM model_versions WHERE id = ?').get(id) as Row | undefined;
  return r && fromRow(r);
}

/** A version's summary from its manifest (a bag's: member 0's rounds and stage 1, the bag's share). */
export function modelSummary(m: Manifest): ModelSummary {
  const all = m.stage1?.mmd?.find((r) => r.set === 'all') ?? m.stage1?.mmd?.[0];
  const f1 = (m.metrics as { f1?: unknown }).f1;
  const share = (m.metrics as { predictedSharedShare?: unknown }).predictedSharedShare;
  return {
    rounds: m.rounds?.length ?? 0,
    agreement: m.rounds?.length ? m.rounds[m.rounds.length - 1].agreement : null,
    domainDistance: all ? { before: all.before, after: all.after } : null,
    f1: typeof f1 === 'number' ? f1 : null,
    members: m.members?.length ?? 1,
    predictedSharedShare: typeof share === 'number' ? share : null,
    stopReason: m.stopReason ?? '',
  };
}
