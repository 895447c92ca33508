#!/usr/bin/env bash
# Search benchmark on the embedded index: the time `silo reindex` takes to build it from
# EVENTS demo events (plus the demo's associations, news and services), then the p50,
# p95 and p99 latency of 1-word, 2-word and typo queries through GraphQL, one client,
# REQUESTS requests each after a warm-up, over loopback.
#
#   tests/bench/search.sh          build (release), seed EVENTS (100000) demo events into
#                                  a fresh data dir, reindex, serve, measure, stop
#   DATA=dir tests/bench/search.sh the same on an already seeded data dir
#
# Settings: EVENTS (100000), PORT (18082), REQUESTS (500).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
EVENTS="${EVENTS:-100000}"
PORT="${PORT:-18082}"
REQUESTS="${REQUESTS:-500}"
OUT="$(mktemp -d -t silo-search-XXXX)"
PID=""
cleanup() { [[ -n "$PID" ]] && kill "$PID" 2>/dev/null || true; }
trap cleanup EXIT

(cd "$ROOT" && cargo build --release -q -p silo-api --bin silo)
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/silo"
if [[ -z "${DATA:-}" ]]; then
  DATA="$OUT/data"
  echo "seeding $EVENTS demo events into $DATA"
  SILO_DATA_DIR="$DATA" "$BIN" seed --demo --events "$EVENTS" > /dev/null 2>&1
fi
/usr/bin/time -f "reindex: %e s wall, peak RSS %M KB" env SILO_DATA_DIR="$DATA" RUST_LOG=warn "$BIN" reindex
SILO_DATA_DIR="$DATA" SILO_LISTEN="127.0.0.1:$PORT" RUST_LOG=warn "$BIN" serve > "$OUT/silo.log" 2>&1 &
PID=$!
URL="http://127.0.0.1:$PORT"
for _ in $(seq 1 300); do
  curl -fs "$URL/readyz" 2>/dev/null | grep -q "search: 0 changes" && break
  sleep 0.1
done
curl -fs "$URL/readyz"

python3 - "$URL/graphql" "$REQUESTS" "$PID" <<'PY'
import json, sys, time, urllib.request
url, n, pid = sys.argv[1], int(sys.argv[2]), sys.argv[3]
doc = ("query($q: String!) { search(q: $q, first: 20) { totalCount "
       "facets { kinds { value count } } edges { node { titleHighlight "
       "item { ... on Event { id title } ... on Association { id name } "
       "... on NewsArticle { id title } ... on PublicService { id name } } } } } }")
def ask(q):
    body = json.dumps({"query": doc, "variables": {"q": q}}).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(req) as r:
        answer = json.load(r)
    took = (time.perf_counter() - started) * 1000
    if "errors" in answer:
        sys.exit(f"{q}: {answer['errors']}")
    return took, answer["data"]["search"]["totalCount"]
print(f"\n| query | kind | hits | p50 | p95 | p99 |\n|---|---|---:|---:|---:|---:|")
for kind, words in [("1 word", ["concert", "marche", "piscine", "exposition", "atelier"]),
                    ("2 words", ["marche noel", "concert jazz", "atelier enfants", "fete musique"]),
                    ("typo", ["concrt", "bibliotheqe", "expositon", "marhce"])]:
    for q in words:
        for _ in range(20):
            ask(q)
        times, hits = [], 0
        for _ in range(n // len(words)):
            took, hits = ask(q)
            times.append(took)
        times.sort()
        pct = lambda p: times[min(len(times) - 1, int(len(times) * p))]
        print(f"| `{q}` | {kind} | {hits} | {pct(0.5):.1f} ms | {pct(0.95):.1f} ms | {pct(0.99):.1f} ms |")
rss = [l for l in open(f"/proc/{pid}/status") if l.startswith("VmHWM")]
print("\nserver", rss[0].strip() if rss else "")
PY
