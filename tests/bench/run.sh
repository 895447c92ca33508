#!/usr/bin/env bash
# Load benchmark of Silo's read API: Q1 (upcoming page), Q2 (Q1 + department and
# organizer: the N+1 test), Q3 (one event by a random slug of 1,000), each at
# concurrency 16 and 64, with oha (5 s warm-up, then a measured run).
#
#   tests/bench/run.sh                 build (release), seed 10,000 demo events into a
#                                      fresh data dir, start silo with its response cache
#                                      and measure, then again with the cache off
#                                      (SILO_RESPONSE_CACHE_MB=0), stop it
#   tests/bench/run.sh URL             measure a Silo already running at URL (loopback)
#   PEERS=/path/to/shared/bench tests/bench/run.sh
#                                      also run the peer harness in the same session
#                                      (bare actix and async-graphql ceilings, Directus)
#                                      through its compare.sh, for ratios
#
# Settings: MODES ("cached uncached"), EVENTS (10000), CONCURRENCIES ("16 64"), DURATION (20s), WARMUP (5s),
# PORT (18080). Needs oha (cargo install oha --locked) and jq.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
EVENTS="${EVENTS:-10000}"
CONCURRENCIES="${CONCURRENCIES:-16 64}"
DURATION="${DURATION:-20s}"
WARMUP="${WARMUP:-5s}"
PORT="${PORT:-18080}"
OUT="${OUT:-$(mktemp -d -t silo-bench-XXXX)}"
command -v oha >/dev/null || { echo "oha not found: cargo install oha --locked" >&2; exit 1; }
command -v jq >/dev/null || { echo "jq not found" >&2; exit 1; }

PID=""
cleanup() { [[ -n "$PID" ]] && kill "$PID" 2>/dev/null || true; }
trap cleanup EXIT

# Starts the built server on the seeded data dir; $1: response cache size in MB.
start() {
  SILO_DATA_DIR="$DATA" SILO_LISTEN="127.0.0.1:$PORT" SILO_RESPONSE_CACHE_MB="$1" RUST_LOG=warn \
    "$BIN" serve > "$OUT/silo-$1.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 100); do curl -fs "$URL/readyz" >/dev/null && break; sleep 0.1; done
}
stop() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=""; }

if [[ $# -ge 1 ]]; then
  URL="${1%/}"
  MODES="${MODES:-running}"
else
  (cd "$ROOT" && cargo build --release -q -p silo-api --bin silo)
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/silo"
  DATA="$OUT/data"
  echo "seeding $EVENTS demo events into $DATA"
  SILO_DATA_DIR="$DATA" "$BIN" seed --demo --events "$EVENTS"
  URL="http://127.0.0.1:$PORT"
  MODES="${MODES:-cached uncached}"
  start 64
fi
case "$URL" in http://127.*|http://localhost*) ;; *) echo "loopback targets only" >&2; exit 2 ;; esac
curl -fs "$URL/readyz" >/dev/null || { echo "silo is not ready at $URL" >&2; exit 1; }

# Queries, and 1,000 slugs of published events for Q3.
Q="$OUT/queries"; mkdir -p "$Q"
cp "$HERE"/queries/*.json "$Q/"
: > "$Q/slugs.txt"
after=null
for _ in $(seq 1 10); do
  page="$(jq -nc --argjson after "$after" '{query: "query($a: String) { events(filter: {from: \"2020-01-01T00:00:00Z\", to: \"2030-01-01T00:00:00Z\"}, first: 100, after: $a) { pageInfo { endCursor } edges { node { event { slug } } } } }", variables: {a: $after}}' |
    curl -fsS -H 'content-type: application/json' --data-binary @- "$URL/graphql")"
  echo "$page" | jq -r '.data.events.edges[].node.event.slug' >> "$Q/slugs.txt"
  after="$(echo "$page" | jq '.data.events.pageInfo.endCursor')"
done
sort -u -o "$Q/slugs.txt" "$Q/slugs.txt"

# Pre-check: each query answers without errors, 20 / 20 / 1 results.
check() { # file jq-expression expected
  local got
  got="$(curl -fsS -H 'content-type: application/json' --data-binary "@$1" "$URL/graphql" | jq -r "if .errors then \"errors\" else ($2) end")"
  [[ "$got" == "$3" ]] || { echo "pre-check failed for $1: got $got, want $3" >&2; exit 1; }
}
check "$Q/q1_upcoming.json" '.data.events.edges | length' 20
check "$Q/q2_nested.json" '[.data.events.edges[].node.event.service.name | strings] | length' 20
sed "s/__SLUG__/$(head -1 "$Q/slugs.txt")/" "$Q/q3_by_slug.template.json" > "$Q/q3_one.json"
check "$Q/q3_one.json" '.data.event.slug | length > 0' true
tmpl="$(tr -d '\n' < "$Q/q3_by_slug.template.json")"
while IFS= read -r slug; do printf '%s\n' "${tmpl/__SLUG__/$slug}"; done < "$Q/slugs.txt" > "$Q/q3_bodies.jsonl"

# One table row per query and concurrency for the server running now; $1 labels it.
measure() {
  server_pid="${PID:-$(pgrep -f 'silo serve' | head -1 || true)}"
  for q in q1 q2 q3; do
    case "$q" in
      q1) body=(-D "$Q/q1_upcoming.json") ;;
      q2) body=(-D "$Q/q2_nested.json") ;;
      q3) body=(-Z "$Q/q3_bodies.jsonl") ;;
    esac
    for c in $CONCURRENCIES; do
      oha --no-tui -m POST -T application/json -c "$c" -z "$WARMUP" "${body[@]}" "$URL/graphql" > /dev/null
      peak=0
      ( while :; do ps -o rss= -p "$server_pid" 2>/dev/null; sleep 0.5; done ) > "$OUT/rss_${1}_${q}_$c.txt" &
      sampler=$!
      oha --no-tui --output-format json -m POST -T application/json -c "$c" -z "$DURATION" "${body[@]}" "$URL/graphql" > "$OUT/${1}_${q}_c$c.json"
      kill "$sampler" 2>/dev/null || true
      peak="$(sort -n "$OUT/rss_${1}_${q}_$c.txt" | tail -1)"
      jq -r --arg mode "$1" --arg q "$q" --arg c "$c" --arg rss "${peak:-0}" '
        [ $mode, $q, $c,
          (.summary.requestsPerSec | floor | tostring),
          ((.latencyPercentiles.p50 * 1000) * 100 | round / 100 | tostring),
          ((.latencyPercentiles.p99 * 1000) * 100 | round / 100 | tostring),
          ((.statusCodeDistribution | to_entries | map(select(.key | startswith("2") | not) | .value) | add // 0) | tostring),
          (($rss | tonumber) / 1024 | floor | tostring) ] | "| " + join(" | ") + " |"' "$OUT/${1}_${q}_c$c.json"
    done
  done
}

printf '\n| server | query | conc | req/s | p50 ms | p99 ms | non-2xx | peak RSS MB |\n|---|---|---:|---:|---:|---:|---:|---:|\n'
for mode in $MODES; do
  if [[ -n "$PID" && "$mode" == uncached ]]; then stop; start 0; fi
  measure "$mode"
done
echo "raw results in $OUT"

if [[ -n "${PEERS:-}" ]]; then
  # The harness measures Silo as it serves satellites: with its response cache.
  if [[ -n "$PID" ]]; then stop; start 64; server_pid="$PID"; fi
  echo "peer harness (same session): $PEERS/bench/compare.sh"
  # Silo's answers were checked above (its connection shape is not the harness's list);
  # PRECHECK=0 skips the harness's own check for every target of this session.
  env -u CARGO_TARGET_DIR PRECHECK=0 PRODUCT_URL="$URL" PRODUCT_PATH=/graphql \
    PRODUCT_PID="$server_pid" PRODUCT_QUERY_DIR="$Q" "$PEERS/bench/compare.sh"
fi
