// CSV cells as RFC 4180 writes them, and one line read back: what `csvRow` writes, `splitCsvLine`
// returns unchanged (round-trip tests hold it to that). Every CSV the project writes and reads
// again (predictions, labels, reviews, features) goes through these two.
import { UserError } from './errors.js';

/** A cell, quoted when it holds a comma, a quote, a line break or edge spaces. */
export function csvCell(value: string | number | boolean): string {
  const s = String(value);
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A row of cells, without its line end. */
export function csvRow(cells: readonly (string | number | boolean)[]): string {
  return cells.map(csvCell).join(',');
}

/**
 * The cells of one line. Quoted cells may hold commas and doubled quotes; unquoted cells are
 * returned as they are, or trimmed with `trim` (hand-written files: "a, b"; what is quoted is
 * kept exactly). Null when a quote opened on the line is never closed.
 */
export function splitCsvLine(line: string, opts: { trim?: boolean } = {}): string[] | null {
  if (!line.includes('"')) return opts.trim ? line.split(',').map((c) => c.trim()) : line.split(',');
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let wasQuoted = false;
  const push = () => {
    out.push(opts.trim && !wasQuoted ? cur.trim() : cur);
    cur = '';
    wasQuoted = false;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') {
      // spaces before an opening quote are padding ("a", "b")
      if (opts.trim && cur.trim() === '') cur = '';
      quoted = true;
      wasQuoted = true;
    } else if (c === ',') push();
    else if (!(opts.trim && wasQuoted && (c === ' ' || c === '\t'))) cur += c;
  }
  if (quoted) return null;
  push();
  return out;
}

/** The cells of line `line` of `file` (see splitCsvLine); a quote left open is a UserError naming file:line. */
export function csvCells(text: string, file: string, line: number, opts: { trim?: boolean } = {}): string[] {
  const cells = splitCsvLine(text, opts);
  if (!cells) throw UserError.at({ file, line }, 'a quoted cell is never closed');
  return cells;
}
