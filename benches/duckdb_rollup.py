"""The reference for `thidua-bench rollup`: the same cluster rollup (sum per member subtree and
indicator) in DuckDB, over CSVs the benchmark writes. Prints one JSON line.

Usage: python3 duckdb_rollup.py DIR CLUSTER START END REPEAT
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

folder, cluster, start, end, repeat = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
con = duckdb.connect()
con.execute(f"CREATE TABLE unit AS SELECT * FROM read_csv('{folder}/units.csv', header=true, all_varchar=true)")
con.execute(f"CREATE TABLE member AS SELECT * FROM read_csv('{folder}/members.csv', header=true, all_varchar=true)")
con.execute(
    f"CREATE TABLE val AS SELECT unit, indicator, period_start, period_end, CAST(value AS BIGINT) AS value "
    f"FROM read_csv('{folder}/values.csv', header=true, all_varchar=true)"
)
query = """
WITH RECURSIVE sub(code, member) AS (
    SELECT unit, unit FROM member WHERE cluster = $cluster
    UNION ALL
    SELECT u.code, sub.member FROM unit u JOIN sub ON u.parent = sub.code
)
SELECT sub.member, v.indicator, SUM(v.value) AS total
FROM val v JOIN sub ON sub.code = v.unit
WHERE v.period_start >= $start AND v.period_end <= $end
GROUP BY sub.member, v.indicator
"""
params = {"cluster": cluster, "start": start, "end": end}
times = []
rows = []
for _ in range(repeat):
    t = time.perf_counter()
    rows = con.execute(query, params).fetchall()
    times.append((time.perf_counter() - t) * 1000)
print(json.dumps({
    "median_ms": statistics.median(times),
    "groups": len(rows),
    "checksum": int(sum(r[2] for r in rows)),
    "version": duckdb.__version__,
}))
