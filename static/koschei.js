// Progressive enhancement only; every page works without it. In unified package tables, hide
// the collection columns in which no listed package is tracked (spec 08 §2.1).
document.addEventListener("DOMContentLoaded", () => {
  for (const table of document.querySelectorAll("table.kk-package-table")) {
    const headers = [...table.querySelectorAll("thead th")];
    headers.forEach((header, index) => {
      if (!header.classList.contains("kk-collection-column")) return;
      const cells = [...table.querySelectorAll(`tbody tr > :nth-child(${index + 1})`)];
      if (cells.every((cell) => cell.textContent.trim() === "" && !cell.querySelector("img"))) {
        for (const element of [header, ...cells]) element.hidden = true;
      }
    });
  }
});
