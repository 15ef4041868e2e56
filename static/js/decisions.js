// Decisions page shortcuts: j/k move between rows, l opens the row's move, Enter in it
// saves, x ticks the row for the bulk label. The count of ticked rows is announced.
(() => {
  const rows = () => Array.from(document.querySelectorAll("tr[data-decision]"));
  let current = -1;

  const focusRow = (index) => {
    const all = rows();
    if (!all.length) return;
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach((row, at) => row.classList.toggle("current", at === current));
    all[current].focus();
    all[current].scrollIntoView({ block: "nearest" });
  };

  const countTicked = () => {
    const ticked = document.querySelectorAll("input[name=decisions]:checked").length;
    const counter = document.getElementById("ticked-count");
    if (counter) counter.textContent = ticked ? `${ticked} ticked` : "";
    const refused = document.getElementById("bulk-error");
    if (refused && ticked) refused.hidden = true;
  };

  document.addEventListener("change", (event) => {
    if (event.target.matches("input[name=decisions]")) countTicked();
  });

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const select = event.target.closest("tr[data-decision] select");
    if (select) {
      if (event.key === "Enter") {
        event.preventDefault();
        select.closest("tr").querySelector("button").click();
      } else if (event.key === "Escape") {
        select.closest("tr").focus();
      }
      return;
    }
    if (event.target.closest("input, textarea, select")) return;
    const row = rows()[current];
    if (event.key === "j") focusRow(current + 1);
    else if (event.key === "k") focusRow(current - 1);
    else if (event.key === "l" && row) row.querySelector("select").focus();
    else if (event.key === "x" && row) {
      const box = row.querySelector("input[name=decisions]");
      box.checked = !box.checked;
      countTicked();
    } else return;
    event.preventDefault();
  });

  // A saved row is swapped in anew: keep it current and go on to the next one.
  document.body.addEventListener("htmx:afterSwap", (event) => {
    const row = event.detail.target && document.getElementById(event.detail.target.id);
    if (row && row.matches("tr.saved")) focusRow(rows().indexOf(row) + 1);
  });
})();
