// The progress of a national-data import, kept current without reloading the page.
//
// The page works without this script: it says where the import has got to and offers
// a link to refresh. With it, the page polls the import's progress.json, moves the bar
// and updates the status text (a live region, so a screen reader hears it); when the
// import stops waiting (ready to check, done or failed), it fetches the page again and
// swaps in its new content, moving focus to the new heading.

const POLL_MS = 1500;
const MAX_POLL_MS = 15000;

function start() {
  const progress = document.getElementById("import-progress");
  if (!progress) {
    return;
  }
  const bar = document.getElementById("import-progress-bar");
  const text = document.getElementById("import-progress-text");
  const refresh = document.getElementById("import-refresh");
  const progressUrl = progress.dataset.progressUrl;
  let delay = POLL_MS;

  if (refresh) {
    refresh.hidden = true; // the page refreshes itself
  }

  function show(state) {
    if (state.percent === null || state.percent === undefined) {
      bar.removeAttribute("value");
    } else {
      bar.value = state.percent;
    }
    bar.textContent = state.text;
    if (text.textContent !== state.text) {
      text.textContent = state.text;
    }
  }

  async function swapPage(url) {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) {
      throw new Error(`GET ${url}: ${response.status}`);
    }
    const next = new DOMParser().parseFromString(await response.text(), "text/html");
    const content = next.getElementById("import-page");
    const current = document.getElementById("import-page");
    if (!content || !current) {
      throw new Error("The page has no import content");
    }
    current.replaceWith(document.importNode(content, true));
    document.title = next.title;
    const heading = document.getElementById("import-heading");
    if (heading) {
      heading.focus();
    }
  }

  function giveUp() {
    // Signed out, or the server is away: the refresh link does the rest.
    if (refresh) {
      refresh.hidden = false;
    }
  }

  async function poll() {
    let state;
    try {
      const response = await fetch(progressUrl, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      const type = response.headers.get("Content-Type") || "";
      if (!response.ok || !type.startsWith("application/json")) {
        giveUp();
        return;
      }
      state = await response.json();
    } catch {
      delay = Math.min(delay * 2, MAX_POLL_MS);
      window.setTimeout(poll, delay);
      return;
    }
    delay = POLL_MS;
    show(state);
    if (state.waiting) {
      window.setTimeout(poll, delay);
      return;
    }
    try {
      await swapPage(state.url);
    } catch {
      window.location.assign(state.url);
      return;
    }
    start(); // still waiting after all (a job queued again): carry on watching
  }

  window.setTimeout(poll, POLL_MS);
}

start();
