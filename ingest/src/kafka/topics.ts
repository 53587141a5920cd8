import kafkajs, { type KafkaConfig } from 'kafkajs';

const { Kafka, logLevel } = kafkajs;

export const TOPICS = {
  points: 'gps.points',
  dlq: 'gps.points.dlq',
  labels: 'vehicle.labels',
  windowsChangelog: 'cotrans.windows-changelog',
} as const;

export interface TopicSpec {
  topic: string;
  partitions: number;
  /** Topic configs, e.g. { 'retention.ms': '...' }. */
  config?: Record<string, string>;
  /** Copies of each partition (default 1: the project's single broker; 3 on a cluster). */
  replicationFactor?: number;
}

/** The project's topics with a partition count (gps.points is keyed by vehicle id). */
export function defaultTopics(partitions = 6, replicationFactor = 1): TopicSpec[] {
  return [
    { topic: TOPICS.points, partitions, replicationFactor },
    { topic: TOPICS.dlq, partitions: 1, replicationFactor },
    { topic: TOPICS.labels, partitions: 1, replicationFactor, config: { 'cleanup.policy': 'compact' } },
  ];
}

export function parseBrokers(s: string | string[]): string[] {
  return (Array.isArray(s) ? s : s.split(',')).map((b) => b.trim()).filter(Boolean);
}

/**
 * Creates the topics that do not exist yet (auto-create is off on our broker). Returns the topics it
 * created; an existing topic with another partition count is reported in `mismatched`, not changed.
 */
export async function ensureTopics(brokers: string | string[], topics: TopicSpec[], security: Pick<KafkaConfig, 'ssl' | 'sasl'> = {}): Promise<{ created: string[]; mismatched: { topic: string; partitions: number; wanted: number }[] }> {
  const admin = new Kafka({ brokers: parseBrokers(brokers), logLevel: logLevel.NOTHING, clientId: 'cotrans-admin', ...security }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.topic,
          numPartitions: t.partitions,
          replicationFactor: t.replicationFactor ?? 1,
          configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
    }
    const mismatched: { topic: string; partitions: number; wanted: number }[] = [];
    const present = topics.filter((t) => existing.has(t.topic));
    if (present.length) {
      const md = await admin.fetchTopicMetadata({ topics: present.map((t) => t.topic) });
      for (const t of md.topics) {
        const wanted = topics.find((x) => x.topic === t.name)!.partitions;
        if (t.partitions.length !== wanted) mismatched.push({ topic: t.name, partitions: t.partitions.length, wanted });
      }
    }
    return { created: missing.map((t) => t.topic), mismatched };
  } finally {
    await admin.disconnect();
  }
}
