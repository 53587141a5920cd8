export { UserError, isUserError, placeOf, type Where } from './errors.js';
export { excerpt, oneLine, hasControl, EXCERPT_CHARS, MESSAGE_CHARS } from './text.js';
export { csvCell, csvRow, splitCsvLine, csvCells } from './csv.js';
export { parseJsonText, readJsonObject, jsonErrorReason } from './json.js';
export { mulberry32, deriveSeed, randInt, shuffle, gaussian } from './rng.js';
export { Rng, mixSeed } from './sfc32.js';
export { isValidTimeZone, tzOffsetMs, localMidnightUtc, localHour, localWeekday, localDate, timeZoneOption } from './tz.js';
export { readCity, cityFileOf, type CityInfo } from './city.js';
export { haversineM, EARTH_RADIUS_M } from './geo.js';
