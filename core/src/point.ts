/** One GPS fix, validated at the edge (readers, Kafka consumer). Everything downstream trusts it. */
export interface GpsPoint {
  /** Non-empty, at most 128 characters. */
  vehicleId: string;
  /** Epoch milliseconds, UTC. */
  ts: number;
  /** Degrees, [-90, 90]. */
  lat: number;
  /** Degrees, [-180, 180]. */
  lon: number;
  /** Optional device speed, km/h, >= 0. */
  speedKmh?: number;
  /** Optional heading, degrees [0, 360). */
  heading?: number;
}
