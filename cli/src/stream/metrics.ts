// The stream's Prometheus metrics and its two HTTP endpoints: /metrics (text format) and /healthz
// (200 once every assigned partition's state is restored, 503 before).
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface LagSource {
  /** Per partition: the group's committed offset against the high watermark. */
  lag(): Promise<{ partition: number; lag: number }[]>;
}

/** Points and messages per second over the last `spanMs` of batches. */
export class RateWindow {
  private readonly window: { t: number; points: number; messages: number }[] = [];
  constructor(private readonly spanMs = 10_000) {}

  add(messages: number, points: number, now = Date.now()): { pointsPerS: number; messagesPerS: number } {
    this.window.push({ t: now, points, messages });
    while (this.window.length && this.window[0].t < now - this.spanMs) this.window.shift();
    const span = Math.max(1, (now - (this.window[0]?.t ?? now)) / 1000);
    return { pointsPerS: this.window.reduce((a, w) => a + w.points, 0) / span, messagesPerS: this.window.reduce((a, w) => a + w.messages, 0) / span };
  }
}

export class StreamMetrics {
  readonly registry = new Registry();
  readonly messages = new Counter({ name: 'cotrans_stream_messages_total', help: 'Messages consumed from the points topic', registers: [this.registry] });
  readonly points = new Counter({ name: 'cotrans_stream_points_total', help: 'Valid fixes applied to the windows', registers: [this.registry] });
  readonly deadLetters = new Counter({ name: 'cotrans_stream_dead_letters_total', help: 'Messages sent to the dead-letter topic, by kind of reason', labelNames: ['reason'], registers: [this.registry] });
  readonly labelsProduced = new Counter({ name: 'cotrans_stream_labels_total', help: 'Labels produced to the labels topic', registers: [this.registry] });
  readonly labelChanges = new Counter({ name: 'cotrans_stream_label_changes_total', help: 'Labels that differ from the vehicle\'s previous one (first labels included)', registers: [this.registry] });
  readonly scoring = new Histogram({ name: 'cotrans_stream_scoring_seconds', help: 'Time to score one group of due vehicles (features, both models)', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [this.registry] });
  readonly pointsRate = new Gauge({ name: 'cotrans_stream_points_per_second', help: 'Fixes applied per second over the last 10 s', registers: [this.registry] });
  readonly messagesRate = new Gauge({ name: 'cotrans_stream_messages_per_second', help: 'Messages consumed per second over the last 10 s', registers: [this.registry] });
  readonly model = new Gauge({ name: 'cotrans_stream_model_info', help: 'The model version scoring now (value 1)', labelNames: ['version'], registers: [this.registry] });
  private readonly rates = new RateWindow();

  constructor(lag: LagSource, counts: () => { vehicles: number; stale: number }, ready: () => boolean) {
    new Gauge({
      name: 'cotrans_stream_consumer_lag',
      help: 'Messages between the group\'s committed offset and the high watermark, per partition',
      labelNames: ['partition'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const l of await lag.lag()) this.set({ partition: String(l.partition) }, l.lag);
      },
    });
    new Gauge({
      name: 'cotrans_stream_ready',
      help: '1 once the state of every assigned partition is restored',
      registers: [this.registry],
      collect() {
        this.set(ready() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'cotrans_stream_vehicles',
      help: 'Vehicles whose window this instance holds',
      registers: [this.registry],
      collect() {
        this.set(counts().vehicles);
      },
    });
    new Gauge({
      name: 'cotrans_stream_stale_vehicles',
      help: 'Held vehicles flagged stale (silent past --stale-hours of event time) or aged out',
      registers: [this.registry],
      collect() {
        this.set(counts().stale);
      },
    });
  }

  setModel(version: string): void {
    this.model.reset();
    this.model.set({ version }, 1);
  }

  /** Counts one applied batch and refreshes the rates. */
  batch(messages: number, points: number, now = Date.now()): void {
    this.messages.inc(messages);
    this.points.inc(points);
    const r = this.rates.add(messages, points, now);
    this.pointsRate.set(r.pointsPerS);
    this.messagesRate.set(r.messagesPerS);
  }
}

/** Serves /metrics and /healthz on `host` (all interfaces by default); resolves once listening (port 0: any free port). */
export async function serveMetrics(m: StreamMetrics, port: number, isReady: () => boolean, host = '0.0.0.0'): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (url === '/metrics') {
      m.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': m.registry.contentType });
          res.end(text);
        },
        (err: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`metrics failed: ${err.message}\n`);
        },
      );
    } else if (url === '/healthz') {
      const ok = isReady();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ready: ok }) + '\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found: try /metrics or /healthz\n');
    }
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(port, host, () => res());
  });
  return { server, port: (server.address() as { port: number }).port };
}
