// The activity monitor's live part: asked for every few seconds and put in place (the
// Content-Security-Policy forbids inline scripts). Without JavaScript the page refreshes
// itself (<noscript> meta refresh) and has a "Refresh" link.
(() => {
  const live = document.getElementById("monitor-live");
  const announce = document.getElementById("monitor-announce");
  if (!live || !announce) return;
  const source = live.dataset.source;
  const every = 1000 * Number(live.dataset.poll || "2");
  let spoken = "";
  const summary = () => {
    const found = live.querySelector("#monitor-summary");
    return found ? found.dataset.announce || "" : "";
  };
  spoken = summary();
  const tick = async () => {
    if (!document.hidden) {
      try {
        const response = await fetch(source, {credentials: "same-origin", cache: "no-store"});
        if (response.redirected) {  // signed out meanwhile: the page itself says where to go
          window.location.reload();
          return;
        }
        if (response.ok) {
          const focused = document.activeElement && document.activeElement.id;
          live.innerHTML = await response.text();
          if (focused) document.getElementById(focused)?.focus();
          const now = summary();
          if (now !== spoken) {
            spoken = now;
            announce.textContent = now;  // the polite live region says what changed
          }
        }
      } catch (error) {
        // the next tick tries again (a restart, a network blip)
      }
    }
    setTimeout(tick, every);
  };
  setTimeout(tick, every);
})();
