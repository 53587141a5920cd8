"""Peer for bench/features.mjs: MovingPandas computing daily length and stay points on the
Cabspotting week (one file per cab: lat lon occupancy unix_time). Prints one JSON line.
Cabs are processed in file order until the time budget is spent, so the figure is points/s over
the cabs done (all of them when the budget allows)."""
import json, os, sys, time, glob, warnings
warnings.filterwarnings("ignore")
t_import = time.perf_counter()
import pandas as pd
import geopandas as gpd
import movingpandas as mpd
from datetime import timedelta

data_dir, budget_s = sys.argv[1], float(sys.argv[2])
files = sorted(glob.glob(os.path.join(data_dir, "new_*.txt")))
t0 = time.perf_counter()
points = cabs = days = stays = 0
km = 0.0
for f in files:
    df = pd.read_csv(f, sep=" ", header=None, names=["lat", "lon", "occ", "t"])
    df["time"] = pd.to_datetime(df["t"], unit="s", utc=True).dt.tz_convert("America/Los_Angeles").dt.tz_localize(None)
    df = df.sort_values("time").drop_duplicates("time").set_index("time")
    gdf = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df.lon, df.lat), crs="EPSG:4326")
    traj = mpd.Trajectory(gdf, traj_id=os.path.basename(f))
    for day in mpd.TemporalSplitter(traj).split(mode="day"):
        km += day.get_length() / 1000
        days += 1
    sp = mpd.TrajectoryStopDetector(traj).get_stop_points(max_diameter=100, min_duration=timedelta(minutes=5))
    stays += len(sp)
    points += len(df)
    cabs += 1
    if time.perf_counter() - t0 > budget_s:
        break
elapsed = time.perf_counter() - t0
print(json.dumps({"peer": f"movingpandas {mpd.__version__}", "cabs": cabs, "of": len(files), "points": points, "seconds": elapsed,
                  "points_per_s": points / elapsed, "days": days, "km": km, "stays": stays}))
