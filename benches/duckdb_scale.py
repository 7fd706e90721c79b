"""The DuckDB reference for `thidua-bench scale`: the same three rollups (a cluster's members,
a province, the nation; each a sum per indicator over a subtree of the unit tree) in an
in-memory DuckDB, over the very CSV files `thidua bench-data` wrote and `thidua import`
read. The load (CSV into tables, period codes into their first and last days) is timed
apart from the queries; each query runs REPEAT times. Prints one JSON line with the times
and every total, which the benchmark checks against thidua's and plain SQL's.

Usage: python3 duckdb_scale.py DIR CLUSTER YEAR PROVINCE NATION START END REPEAT
"""
import json
import statistics
import sys
import time

try:
    import duckdb
except ImportError:
    print(json.dumps({"error": "duckdb is not installed (pip install duckdb)"}))
    sys.exit(0)

folder, cluster, year, province, nation, start, end, repeat = sys.argv[1:9]
year, repeat = int(year), int(repeat)

con = duckdb.connect()
t = time.perf_counter()
con.execute(
    f"CREATE TABLE unit AS SELECT code, parent FROM read_csv('{folder}/units.csv', header=true, all_varchar=true)"
)
con.execute(
    f"""CREATE TABLE member AS
        SELECT code AS cluster, CAST(year AS INTEGER) AS year, unnest(string_split(members, ';')) AS unit
        FROM read_csv('{folder}/clusters.csv', header=true, all_varchar=true)"""
)
# bench-data writes half-years (2026S1) and whole years (2025) only; anything else stays
# NULL and is refused below rather than silently left out.
con.execute(
    f"""CREATE TABLE val AS
        SELECT unit, indicator,
               CASE WHEN length(period) = 4 THEN period || '-01-01'
                    WHEN period LIKE '____S1' THEN substr(period, 1, 4) || '-01-01'
                    WHEN period LIKE '____S2' THEN substr(period, 1, 4) || '-07-01' END AS period_start,
               CASE WHEN length(period) = 4 THEN period || '-12-31'
                    WHEN period LIKE '____S1' THEN substr(period, 1, 4) || '-06-30'
                    WHEN period LIKE '____S2' THEN substr(period, 1, 4) || '-12-31' END AS period_end,
               CAST(value AS BIGINT) AS value
        FROM read_csv('{folder}/values.csv', header=true, all_varchar=true)"""
)
load_ms = (time.perf_counter() - t) * 1000
rows, unknown = con.execute("SELECT count(*), count(*) FILTER (WHERE period_start IS NULL) FROM val").fetchone()
if unknown:
    print(json.dumps({"error": f"{unknown} values with a period code the script does not read"}))
    sys.exit(0)

CLUSTER = """
WITH RECURSIVE sub(code, member) AS (
    SELECT unit, unit FROM member WHERE cluster = $cluster AND year = $year
    UNION ALL
    SELECT u.code, sub.member FROM unit u JOIN sub ON u.parent = sub.code
)
SELECT sub.member || '/' || v.indicator, SUM(v.value)
FROM val v JOIN sub ON sub.code = v.unit
WHERE v.period_start >= $start AND v.period_end <= $end
GROUP BY sub.member, v.indicator
"""
SUBTREE = """
WITH RECURSIVE sub(code) AS (
    SELECT CAST($root AS VARCHAR)
    UNION ALL
    SELECT u.code FROM unit u JOIN sub ON u.parent = sub.code
)
SELECT v.indicator, SUM(v.value)
FROM val v JOIN sub ON sub.code = v.unit
WHERE v.period_start >= $start AND v.period_end <= $end
GROUP BY v.indicator
"""


def timed(query, params):
    times, result = [], []
    for _ in range(repeat):
        t = time.perf_counter()
        result = con.execute(query, params).fetchall()
        times.append((time.perf_counter() - t) * 1000)
    return {
        "median_ms": statistics.median(times),
        "min_ms": min(times),
        "totals": {key: int(total) for key, total in result},
    }


span = {"start": start, "end": end}
print(json.dumps({
    "version": duckdb.__version__,
    "threads": con.execute("SELECT current_setting('threads')").fetchone()[0],
    "load_ms": load_ms,
    "rows": rows,
    "cluster": timed(CLUSTER, {"cluster": cluster, "year": year, **span}),
    "province": timed(SUBTREE, {"root": province, **span}),
    "nation": timed(SUBTREE, {"root": nation, **span}),
}))
