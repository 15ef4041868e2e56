// The panel's menu: one group open at a time, closed by a click elsewhere or Escape; on a
// narrow screen the whole menu folds behind the "Menu" button.
(() => {
  const header = document.querySelector(".topbar");
  const toggle = header && header.querySelector(".menu-toggle");
  if (!toggle) return;
  // As in panel.css: narrower, the menu is a column with every group open.
  const narrow = window.matchMedia("(max-width: 900px)");
  const groups = () => header.querySelectorAll("details.nav-group");
  const closeGroups = (except) => {
    if (!narrow.matches) groups().forEach((group) => { if (group !== except) group.open = false; });
  };

  document.documentElement.classList.add("js-nav");
  toggle.hidden = false;
  toggle.addEventListener("click", () => {
    const open = header.classList.toggle("nav-open");
    toggle.setAttribute("aria-expanded", String(open));
    if (open) groups().forEach((group) => { group.open = true; });
  });

  groups().forEach((group) => group.addEventListener("toggle", () => { if (group.open) closeGroups(group); }));
  document.addEventListener("click", (event) => {
    if (!event.target.closest("details.nav-group")) closeGroups(null);
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const open = header.querySelector("details.nav-group[open]");
    if (!open) return;
    open.open = false;
    open.querySelector("summary").focus();
  });
})();
