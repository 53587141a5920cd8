// CSV cells as RFC 4180 writes them, and one line read back: what `csvRow` writes, `splitCsvLine`
// returns unchanged (round-trip tests hold it to that). Every CSV the project writes and reads
// again (predictions, labels, reviews, features) goes through these two.

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
 * returned as they are. Null when a quote opened on the line is never closed.
 */
export function splitCsvLine(line: string): string[] | null {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (quoted) return null;
  out.push(cur);
  return out;
}
