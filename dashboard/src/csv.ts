// CSV cells for files that reviewers open in a spreadsheet. A cell that a spreadsheet would read as a
// formula (OWASP "CSV injection": a leading =, +, -, @, tab or CR) is prefixed with a quote so that
// it stays text; a cell holding a comma, quote, LF or CR is quoted (RFC 4180).
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\n\r]/;

export function csvCell(value: string): string {
  const s = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(s) || s !== value ? `"${s.replace(/"/g, '""')}"` : s;
}

export const csvLine = (cells: readonly string[]): string => cells.map(csvCell).join(',') + '\r\n';
