#!/usr/bin/env bash
# The Chrome trace of docs/observability.md as a trace viewer shows it: the console example's
# recording (QLIFECYCLE_TRACE=….json) opened in the Performance panel of Chromium's DevTools,
# the trace viewer built into Chromium (Perfetto's UI is not packaged for Debian or npm, and
# chrome://tracing fails to open in Debian's Chromium 156), zoomed on the start (about 450 ms):
# one track per service with its start and start() slices, and the chain Search → Metrics → Api
# that released Api drawn from its selected start, whose event is shown below. Headless
# Chromium driven by puppeteer-core; no display needed.
#
#   docs/images/shots-devtools.sh [BUILD_DIR]      (default build/dev; the example must be built)
#
# Installs what is missing: chromium (and nodejs, npm without a node) through scripts/setup.sh,
# puppeteer-core from npm into ~/.cache/qlifecycle/shots-devtools.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/dev}
example=$build/examples/console/qlifecycle-console
images=docs/images
if [ ! -x "$example" ]; then
    echo "shots-devtools: no $example (cmake --build $build --target console_example)" >&2
    exit 2
fi

extras=(chromium)
command -v npm >/dev/null || extras+=(nodejs npm)
bash scripts/setup.sh "${extras[@]}"

puppeteer="puppeteer-core@25.16.0"
tools=${XDG_CACHE_HOME:-$HOME/.cache}/qlifecycle/shots-devtools
if [ "$(cat "$tools/.installed" 2>/dev/null)" != "$puppeteer" ]; then
    mkdir -p "$tools"
    npm install --prefix "$tools" --no-save --no-fund --no-audit --loglevel=error "$puppeteer" \
        >/dev/null
    echo "$puppeteer" >"$tools/.installed"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
QLIFECYCLE_TRACE="$work/console.json" "$example" --seconds 3 >/dev/null

# The viewer script lives beside its node_modules so that node finds puppeteer-core.
cat >"$tools/shot.mjs" <<'EOF'
import puppeteer from 'puppeteer-core';
import fs from 'node:fs';
const [trace, png, profile] = process.argv.slice(2);
const sleep = ms => new Promise(r => setTimeout(r, ms));
const browser = await puppeteer.launch({
  executablePath: '/usr/bin/chromium', headless: true, userDataDir: profile,
  args: ['--no-sandbox', '--window-size=1400,800', '--lang=en-US'],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 800 });
  // DevTools' own page for viewing traces, with no page to debug: it is offline.
  await page.goto('devtools://devtools/bundled/trace_app.html', { waitUntil: 'load' });
  const text = fs.readFileSync(trace, 'utf8');
  for (let i = 0; ; ++i) {
    try {
      await page.evaluate(async text => {
        const UI = await import('./ui/legacy/legacy.js');
        const Timeline = await import('./panels/timeline/timeline.js');
        await UI.ViewManager.ViewManager.instance().showView('timeline');
        await Timeline.TimelinePanel.TimelinePanel.instance()
          .loadFromFile(new File([text], 'console.json'));
      }, text);
      break;
    } catch (e) {
      if (i === 10) throw e;
      await sleep(500);
    }
  }
  await sleep(3000);
  // Presses the visible buttons named label, inside the shadow roots too.
  const press = label => page.evaluate(label => {
    let n = 0;
    const walk = root => {
      for (const b of root.querySelectorAll('button'))
        if (b.getAttribute('aria-label') === label && b.getBoundingClientRect().width > 0) {
          b.click();
          ++n;
        }
      for (const e of root.querySelectorAll('*')) if (e.shadowRoot) walk(e.shadowRoot);
    };
    walk(document);
    return n;
  }, label);
  await press('Close'); // "Debugging connection was closed": there is no page to debug
  await sleep(500);
  if (await press('Hide sidebar') !== 1) throw new Error('no sidebar button');
  await sleep(800);
  // Expand the process, then each service's track, from the bottom up so that the rows above
  // stay where they are (21 px a row under the process's at y 129).
  await page.mouse.click(10, 129);
  await sleep(500);
  for (let row = 7; row >= 1; --row) {
    await page.mouse.click(20, 125 + 21 * row);
    await sleep(300);
  }
  // From 0 to a little after the last service is running (about 450 ms), in microseconds.
  const events = JSON.parse(text).traceEvents;
  const starts = events.filter(e => e.ph === 'X' && e.name === 'start');
  const end = Math.ceil(Math.max(...starts.map(e => e.ts + e.dur)) * 1.1 / 50000) * 50000;
  await page.evaluate(async end => {
    const TB = await import('./services/trace_bounds/trace_bounds.js');
    TB.TraceBounds.BoundsManager.instance()
      .setTimelineVisibleWindow({ min: 0, max: end, range: end });
  }, end);
  await sleep(800);
  // The details pane lower, under the tracks.
  await page.mouse.move(700, 601);
  await page.mouse.down();
  await page.mouse.move(700, 530, { steps: 5 });
  await page.mouse.up();
  await sleep(500);
  // Select Api's start (the first row under its track, at the middle of its slice): DevTools
  // draws the flow events that released it.
  const api = events.find(e => e.name === 'thread_name' && e.args.name === 'Api');
  const start = starts.find(e => e.tid === api.tid);
  await page.mouse.click((start.ts + start.dur / 2) * 1400 / end, 493);
  await sleep(800);
  await page.mouse.move(1390, 524);
  await sleep(300);
  await page.screenshot({ path: png });
} finally {
  await browser.close();
}
EOF
node "$tools/shot.mjs" "$work/console.json" "$images/console-trace-devtools.png" "$work/profile"
echo "shots-devtools: $images/console-trace-devtools.png"
