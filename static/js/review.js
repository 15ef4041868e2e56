// Review queue shortcuts: a key clicks the element marked data-shortcut="<key>";
// data-opens="<form id>" shows that form and puts the focus in it. In a form, Ctrl+Enter
// saves; on a radio button, as in the wrong-move form, Enter alone saves the choice.
(() => {
  const focusIn = (form) => {
    const target = form.querySelector("textarea, select, input[type=radio]:checked") || form.querySelector("button[type=submit]");
    target.focus();
    if (target.tagName === "TEXTAREA") target.setSelectionRange(target.value.length, target.value.length);
  };

  document.addEventListener("click", (event) => {
    const opener = event.target.closest("[data-opens]");
    if (!opener) return;
    document.querySelectorAll(".review-form").forEach((form) => { form.hidden = form.id !== opener.dataset.opens; });
    focusIn(document.getElementById(opener.dataset.opens));
  });

  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, textarea, select")) {
      if (event.key === "Escape") {
        event.target.blur();
        document.querySelectorAll(".review-form").forEach((form) => { form.hidden = true; });
      } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey || event.target.type === "radio") && event.target.form) {
        event.preventDefault();
        event.target.form.requestSubmit();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    const target = document.querySelector(`[data-shortcut="${CSS.escape(event.key)}"]`);
    if (target) {
      event.preventDefault();
      target.click();
    }
  });
})();
