// The glue of the smm report: draw each chart of the page with vega-embed when it comes
// into view (a report of 1,000 orders has 1,000 charts; drawing them all at once would
// keep a browser busy for many seconds). The specs are Vega-Lite, built by smm: a chart
// has its own spec, or names a template (carried once) and brings its datasets.
const { templates, charts: specs } = JSON.parse(
  document.getElementById("smm-charts").textContent,
);

function specOf(name) {
  const chart = specs[name];
  if (!chart.template) {
    return chart.spec;
  }
  // A template's layer whose dataset is empty (no refill, no drop) is left out.
  const spec = structuredClone(templates[chart.template]);
  spec.layer = spec.layer.filter((layer) => chart.datasets[layer.data.name].length > 0);
  return { ...spec, datasets: chart.datasets };
}
const options = {
  mode: "vega-lite",
  renderer: "svg",
  actions: false, // no export menu: it links to an online editor
  tooltip: { theme: "light" },
};
const report = { views: {}, failed: {} };
window.smmReport = report;

function draw(element) {
  if (element.dataset.state) {
    return element.smmDrawn;
  }
  element.dataset.state = "drawing";
  const name = element.dataset.chart;
  element.smmDrawn = vegaEmbed(element, specOf(name), options)
    .then((result) => {
      report.views[name] = result.view;
      element.dataset.state = "drawn";
    })
    .catch((error) => {
      report.failed[name] = String(error);
      element.dataset.state = "failed";
      console.error("chart " + name + ": " + error);
    });
  return element.smmDrawn;
}

const charts = Array.from(document.querySelectorAll("[data-chart]"));
report.drawAll = () => Promise.all(charts.map(draw));
if ("IntersectionObserver" in window) {
  const watcher = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (entry.isIntersecting) {
          watcher.unobserve(entry.target);
          draw(entry.target);
        }
      }
    },
    { rootMargin: "600px 0px" },
  );
  charts.forEach((element) => watcher.observe(element));
} else {
  report.drawAll();
}
// Printing (or saving as PDF) shows every chart, not only those scrolled past.
window.addEventListener("beforeprint", () => report.drawAll());
