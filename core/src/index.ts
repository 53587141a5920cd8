export { UserError, isUserError, placeOf, type Where } from './errors.js';
export { excerpt, oneLine, hasControl, EXCERPT_CHARS, MESSAGE_CHARS } from './text.js';
export { csvCell, csvRow, splitCsvLine } from './csv.js';
export { parseJsonText, readJsonObject, jsonErrorReason } from './json.js';
