// The fix every stage passes on is core's GpsPoint; ingest is where it is validated.
export type { GpsPoint } from '@cotrans/core';
