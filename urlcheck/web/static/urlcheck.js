// urlcheck's status page: auto refresh, "checked … ago" and a busy "Check now" button.
// A file of its own because the Content-Security-Policy allows no inline script.
"use strict";

(function () {
  const refreshSeconds = Number(document.body.dataset.refresh || 0);
  const countdown = document.querySelector("[data-countdown]");
  const stamp = document.querySelector("time[data-ago]");
  const form = document.querySelector("form.check-now");
  let submitting = false;

  function ago(seconds) {
    if (seconds < 5) return "just now";
    if (seconds < 90) return Math.round(seconds) + " s ago";
    if (seconds < 90 * 60) return Math.round(seconds / 60) + " min ago";
    return Math.round(seconds / 3600) + " h ago";
  }

  if (stamp) {
    const checked = new Date(stamp.getAttribute("datetime"));
    if (!Number.isNaN(checked.getTime())) {
      stamp.title = checked.toLocaleString();
      const showAge = function () {
        stamp.textContent = checked.toLocaleTimeString() + " (" + ago((Date.now() - checked) / 1000) + ")";
      };
      showAge();
      window.setInterval(showAge, 1000);
    }
  }

  if (form) {
    form.addEventListener("submit", function () {
      submitting = true;
      const button = form.querySelector("button");
      if (button) {
        button.disabled = true;
        button.textContent = "Checking…";
      }
    });
  }

  if (refreshSeconds > 0) {
    // Hidden tabs do not reload; one that comes back overdue reloads at once.
    let due = Date.now() + refreshSeconds * 1000;
    const tick = function () {
      if (!Number.isFinite(due)) return;
      const left = Math.max(0, Math.ceil((due - Date.now()) / 1000));
      if (countdown) countdown.textContent = " · next in " + left + " s";
      if (left === 0 && !submitting && document.visibilityState === "visible") {
        due = Infinity;
        window.location.reload();
      }
    };
    tick();
    window.setInterval(tick, 1000);
    document.addEventListener("visibilitychange", tick);
  }
})();
