#!/usr/bin/env bash
# Lighthouse on the home page, a story and a category page, mobile and desktop, against a
# running site (make serve, or gunicorn on a copy filled by flask demo): one line each.
# Needs npm once (Lighthouse 12.2.3: 13 wants Node 22); the site itself never needs npm.
# Last run (2026-12-07, flask demo with pictures): 100 in all four categories on all six.
#   bench/lighthouse.sh http://127.0.0.1:5000
set -euo pipefail
base=${1:-http://127.0.0.1:5000}
here=$(cd "$(dirname "$0")/.." && pwd)
tool="$here/.cache/lighthouse"
if [ ! -x "$tool/node_modules/.bin/lighthouse" ]; then
  mkdir -p "$tool"
  (cd "$tool" && npm i --silent -E lighthouse@12.2.3 >/dev/null)
fi
export CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
home=$(curl -sf "$base/") || { echo "$base/ does not answer 200: is the site running (and migrated)?"; exit 1; }
story=$(grep -o 'href="/posts/[^"]*"' <<<"$home" | sed -n 2p | cut -d'"' -f2 || true)
category=$(grep -o 'href="/category/[^"]*"' <<<"$home" | sed -n 1p | cut -d'"' -f2 || true)
flags="--headless=new --no-sandbox --disable-background-networking --disable-component-update --disable-sync"
for path in / "$story" "$category"; do
  for form in mobile desktop; do
    preset=()
    [ "$form" = desktop ] && preset=(--preset=desktop)
    report="$out/report.json"
    "$tool/node_modules/.bin/lighthouse" "$base$path" "${preset[@]}" --quiet --output=json \
      --output-path="$report" --chrome-flags="$flags" >/dev/null 2>&1 || true
    node -e '
      const r = require(process.argv[1]), c = r.categories;
      const scores = Object.keys(c).map((k) => `${k} ${Math.round(c[k].score * 100)}`).join(", ");
      const lcp = Math.round(r.audits["largest-contentful-paint"].numericValue);
      const cls = r.audits["cumulative-layout-shift"].numericValue.toFixed(3);
      console.log(`${process.argv[2]} (${process.argv[3]}): ${scores}; LCP ${lcp} ms, CLS ${cls}`);
    ' "$report" "$path" "$form" || echo "$path ($form): Lighthouse did not finish"
  done
done
