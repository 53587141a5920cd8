// Progress for long work: a redrawn bar with rate and ETA on a TTY, structured JSON lines elsewhere
// (so logs stay greppable in CI and under systemd).
export interface Progress {
  /** Report absolute progress; `total` may be unknown. */
  update(done: number, extra?: Record<string, number | string>): void;
  /** `extra` may hold records (counts by reason): they go into the JSON line as they are. */
  done(extra?: Record<string, number | string | Record<string, number>>): void;
}

export function progress(task: string, opts: { total?: number; unit?: string; stream?: NodeJS.WriteStream; intervalMs?: number } = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  const tty = !!stream.isTTY;
  const unit = opts.unit ?? 'points';
  const interval = opts.intervalMs ?? (tty ? 200 : 5000);
  const t0 = performance.now();
  let last = 0;
  let lastDone = 0;
  const fmt = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : `${Math.round(n)}`);
  const line = (done: number, final: boolean, extra?: Record<string, number | string | Record<string, number>>) => {
    const secs = (performance.now() - t0) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const total = opts.total;
    const eta = total && rate > 0 ? Math.max(0, (total - done) / rate) : undefined;
    if (tty) {
      const pct = total ? Math.min(1, done / total) : undefined;
      const width = 24;
      const bar = pct !== undefined ? `[${'#'.repeat(Math.round(pct * width)).padEnd(width, '.')}] ${(pct * 100).toFixed(1)}% ` : '';
      const tail = extra ? ' ' + Object.entries(extra).filter(([, v]) => typeof v !== 'object').map(([k, v]) => `${k}=${v}`).join(' ') : '';
      stream.write(`\r${task} ${bar}${fmt(done)}${total ? '/' + fmt(total) : ''} ${unit} ${fmt(rate)} ${unit}/s${eta !== undefined && !final ? ` ETA ${eta.toFixed(0)}s` : ` ${secs.toFixed(1)}s`}${tail}\x1b[K${final ? '\n' : ''}`);
    } else {
      stream.write(JSON.stringify({ ts: new Date().toISOString(), task, event: final ? 'done' : 'progress', [unit]: done, total, rate: Math.round(rate), eta_s: eta !== undefined ? Math.round(eta) : undefined, elapsed_s: +secs.toFixed(2), ...extra }) + '\n');
    }
  };
  return {
    update(done, extra) {
      lastDone = done;
      const now = performance.now();
      if (now - last < interval) return;
      last = now;
      line(done, false, extra);
    },
    done(extra) {
      line(lastDone, true, extra);
    },
  };
}
