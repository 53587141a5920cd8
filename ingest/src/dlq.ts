// Dead letters: a bad gps.points message goes to gps.points.dlq with its original bytes (key and
// value untouched) and, in headers, why and where it came from.
import type { IHeaders, KafkaMessage } from 'kafkajs';

export const DLQ_HEADERS = {
  reason: 'dlq.reason',
  topic: 'dlq.source.topic',
  partition: 'dlq.source.partition',
  offset: 'dlq.source.offset',
  rejected: 'dlq.rejected.points',
  at: 'dlq.at',
} as const;

export interface DeadLetter {
  key: Buffer | null;
  value: Buffer | null;
  reason: string;
  topic: string;
  partition: number;
  offset: string;
  /** Indices of the rejected points of a partly valid batch; empty when the whole message was rejected. */
  rejected: number[];
}

export function toDlqMessage(d: DeadLetter): { key: Buffer | null; value: Buffer | null; headers: IHeaders } {
  return {
    key: d.key,
    value: d.value,
    headers: {
      [DLQ_HEADERS.reason]: d.reason,
      [DLQ_HEADERS.topic]: d.topic,
      [DLQ_HEADERS.partition]: String(d.partition),
      [DLQ_HEADERS.offset]: d.offset,
      [DLQ_HEADERS.rejected]: JSON.stringify(d.rejected),
      [DLQ_HEADERS.at]: new Date().toISOString(),
    },
  };
}

/** Reads a dead letter back from a gps.points.dlq message. */
export function fromDlqMessage(m: Pick<KafkaMessage, 'key' | 'value' | 'headers'>): DeadLetter {
  const h = (name: string) => {
    const v = m.headers?.[name];
    return v === undefined ? '' : Array.isArray(v) ? String(v[0]) : String(v);
  };
  return {
    key: m.key ?? null,
    value: m.value ?? null,
    reason: h(DLQ_HEADERS.reason),
    topic: h(DLQ_HEADERS.topic),
    partition: Number(h(DLQ_HEADERS.partition)),
    offset: h(DLQ_HEADERS.offset),
    rejected: JSON.parse(h(DLQ_HEADERS.rejected) || '[]') as number[],
  };
}
