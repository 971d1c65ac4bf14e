// Runs in the page (browser JavaScript, not compiled with the Node code): measures each
// frame's main-thread work for `duration` ms. A frame starts at its first
// requestAnimationFrame callback and ends at the first task after its rendering steps
// (a MessageChannel message posted from that callback runs only once the frame is painted).
// With `scroll`, the element it names is scrolled by `step` px every frame (a user flinging
// through a long list).
async (duration, scroll) => {
  const work = [];
  const intervals = [];
  const renders = [];
  const probe = window.reclaimdAppsTable ?? { table: { lastRenderMs: 0 }, stats: { updates: 0 } };
  const updatesAtStart = probe.stats.updates;
  const scroller = scroll ? document.querySelector(scroll.selector) : null;
  const channel = new MessageChannel();
  let frameStart = 0;
  let last = 0;
  channel.port1.onmessage = () => work.push(performance.now() - frameStart);
  await new Promise((done) => {
    const end = performance.now() + duration;
    const frame = (t) => {
      frameStart = performance.now();
      if (last) intervals.push(t - last);
      last = t;
      renders.push(probe.table.lastRenderMs);
      if (scroller) scroller.scrollTop += scroll.step;
      channel.port2.postMessage(0);
      if (performance.now() < end) requestAnimationFrame(frame);
      else done();
    };
    requestAnimationFrame(frame);
  });
  const q = (a, p) => {
    const s = [...a].sort((x, y) => x - y);
    return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
  };
  const typical = q(intervals, 0.5);
  return {
    frames: work.length,
    p50: q(work, 0.5),
    p95: q(work, 0.95),
    p99: q(work, 0.99),
    max: Math.max(...work),
    dropped: intervals.filter((i) => i > typical * 1.5).length,
    updates: probe.stats.updates - updatesAtStart,
    renderP95: q(renders, 0.95),
    rows: document.querySelectorAll('.vtable .vrow:not([hidden])').length,
    count: document.querySelector('.toolbar .muted')?.textContent ?? '',
    scrolledTo: scroller ? scroller.scrollTop : 0,
  };
}
