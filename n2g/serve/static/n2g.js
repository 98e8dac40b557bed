// n2g viewer: the little the pages do in the browser. Data reaches this script only
// through data-* attributes written (escaped) by the server; nothing here builds HTML.
"use strict";

// Recolour a unit's evidence by the graph's predicted activation, and back.
function setupPredictionToggles() {
  for (const button of document.querySelectorAll("button[data-toggle-prediction]")) {
    const box = document.getElementById(button.getAttribute("aria-controls"));
    if (!box) continue;
    button.hidden = false;
    button.addEventListener("click", () => {
      const predicted = box.dataset.showing !== "predicted";
      box.dataset.showing = predicted ? "predicted" : "true";
      for (const token of box.querySelectorAll(".tok")) {
        token.dataset.level = predicted ? token.dataset.predicted : token.dataset.true;
      }
      button.setAttribute("aria-pressed", String(predicted));
      button.textContent = predicted
        ? button.dataset.labelTrue
        : button.dataset.labelPredicted;
      const state = document.getElementById(button.dataset.state);
      if (state) state.textContent = predicted ? "predicted" : "true";
    });
  }
}

document.addEventListener("DOMContentLoaded", setupPredictionToggles);
