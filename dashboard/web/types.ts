// What the review page reads from the server's API.

export interface Review { vehicleId: string; verdict: string; note: string; reviewer: string; at: number }
export interface Row {
  vehicleId: string; label: string; pShared: number; pRf: number | null; pCnn: number | null; flags: string[];
  truth?: string; stratum?: string; disagree: boolean; uncertain: boolean; confidence: number; review: Review | null;
  modelVersion?: string; scoredAt?: number; stale?: boolean; flips?: number;
}
export interface LabelChange { previous: string | null; label: string; pShared: number; modelVersion: string; scoredAt: number; flags: string[] }
export interface Explanation {
  features: { column: string; value: number; contribution: number }[]; pRf: number; bias: number; members: number;
  ensemble: { combine: string; weightRf: number; threshold: number; rule: string; zRf: number }; modelVersion: string | null;
  cnnDays: { days: { day: string; p: number; counted: boolean }[]; dayScore: string; topDays: number } | null;
}
export type Quantiles = [number, number, number, number, number];
export interface Distribution { value: number; shared: Quantiles | null; private: Quantiles | null; n: { shared: number; private: number } }
export interface Detail extends Row {
  distributions?: Record<string, Distribution> | null;
  hasImage: boolean; hasTrack?: boolean; images?: string[]; history: Review[]; labelHistory?: LabelChange[]; features?: Record<string, number> | null; explanation?: Explanation | null;
}
export interface ModelInfo {
  current: { id: string; createdAt: string; summary: { rounds: number; agreement: number | null; domainDistance: { before: number; after: number } | null; f1: number | null; members: number; stopReason: string } } | null;
  versions: number; vehiclesByVersion: Record<string, number>;
}
export interface Summary {
  total: number; shared: number; private: number; flagged: number; uncertain: number; disagree: number; reviewed: number;
  reviewAgreement: number | null; truthAccuracy: number | null; histogram: number[]; stale: number; model: ModelInfo | null; featureColumns?: string[];
}
export interface Session { writable: boolean; reviewer: string | null }
export interface StreamView {
  partitions: { topic: string; partition: number; lag: number }[]; lag: { sum: number; max: number };
  pointsPerS: number; messagesPerS: number; deadLetters: { reason: string; count: number }[]; updatedAt: string; ageS: number; stale: boolean;
}

/** The labels and verdicts the stylesheet has a colour for. */
export const KNOWN_CLASSES = new Set(['shared', 'private', 'unsure']);
