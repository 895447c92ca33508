#!/usr/bin/env bash
# Open-data export benchmark: time and size of each full export over HTTP, and the
# server's peak RSS (VmHWM) after each, on a city of EVENTS demo events. The first request
# of each export reads the database ("cold") and leaves a snapshot; the next RUNS requests
# are served from it ("warm", median).
#
#   tests/bench/opendata.sh        build (release), seed EVENTS (100000) demo events into a
#                                  fresh data dir, start silo, measure, stop it
#   tests/bench/opendata.sh URL    measure a Silo already running on this machine at URL
#
# Settings: EVENTS (100000), PORT (18081), RUNS (3: the warm column is their median).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
EVENTS="${EVENTS:-100000}"
PORT="${PORT:-18081}"
RUNS="${RUNS:-3}"
OUT="${OUT:-$(mktemp -d -t silo-opendata-XXXX)}"
mkdir -p "$OUT"

PID=""
cleanup() { [[ -n "$PID" ]] && kill "$PID" 2>/dev/null || true; }
trap cleanup EXIT

if [[ $# -ge 1 ]]; then
  URL="${1%/}"
  PID_TO_WATCH="$(pgrep -f 'silo serve' | head -1 || true)"
else
  (cd "$ROOT" && cargo build --release -q -p silo-api --bin silo)
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/silo"
  DATA="$OUT/data"
  echo "seeding $EVENTS demo events into $DATA"
  /usr/bin/time -f "seed: %e s, peak RSS %M KB" env SILO_DATA_DIR="$DATA" "$BIN" seed --demo --events "$EVENTS"
  SILO_DATA_DIR="$DATA" SILO_LISTEN="127.0.0.1:$PORT" RUST_LOG=warn "$BIN" serve > "$OUT/silo.log" 2>&1 &
  PID=$!
  PID_TO_WATCH=$PID
  URL="http://127.0.0.1:$PORT"
  for _ in $(seq 1 100); do curl -fs "$URL/readyz" >/dev/null && break; sleep 0.1; done
fi
curl -fs "$URL/readyz" >/dev/null || { echo "silo is not ready at $URL" >&2; exit 1; }

rss() { awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$PID_TO_WATCH/status" 2>/dev/null || echo "?"; }
WINDOW="from=2000-01-01&to=2100-01-01"
printf 'server RSS before: %s MB\n' "$(awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$PID_TO_WATCH/status" 2>/dev/null || echo '?')"
printf '\n| export | items | size | cold (first) | warm (median of %s) | peak RSS after |\n|---|---:|---:|---:|---:|---:|\n' "$RUNS"
for path in agenda.ics evenements.csv occurrences.csv agenda.jsonld "agenda.json?size=300&" associations.csv services.json catalog.jsonld; do
  sep='?'; [[ "$path" == *\?* ]] && sep=''
  url="$URL/opendata/${path}${sep}${WINDOW}"
  cold="$(curl -fsS -o "$OUT/export" -w '%{time_total}' "$url")"
  times=()
  for _ in $(seq 1 "$RUNS"); do
    times+=("$(curl -fsS -o "$OUT/export" -w '%{time_total}' "$url")")
  done
  median="$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")"
  size="$(stat -c %s "$OUT/export")"
  case "$path" in
    agenda.ics) items="$(grep -c '^BEGIN:VEVENT' "$OUT/export")" ;;
    *.csv) items="$(( $(python3 -c 'import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], newline=""))))' "$OUT/export") - 1 ))" ;;
    agenda.jsonld) items="$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["@graph"]))' "$OUT/export")" ;;
    agenda.json*) items="$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["events"]))' "$OUT/export")" ;;
    services.json) items="$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$OUT/export")" ;;
    *) items="-" ;;
  esac
  printf '| %s | %s | %s KB | %.2f s | %.2f s | %s MB |\n' "${path%%\?*}" "$items" "$(( size / 1024 ))" "$cold" "$median" "$(rss)"
done
