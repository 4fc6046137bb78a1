import { convertDynamicProperties } from "../../static/utils/dynamic_properties.js";

// The page's charts are drawn together, in one animation frame once the bundle is evaluated: the cards are painted
// first, then every chart is laid out in one go instead of a frame being rendered between two of them.
const waiting = new Set();
function drawTogether(chart) {
  waiting.add(chart);
  if (waiting.size > 1) return;
  requestAnimationFrame(() => {
    const charts = [...waiting];
    waiting.clear();
    for (const each of charts) if (each.$el?.isConnected) each.draw();
  });
}

export default {
  template: "<div></div>",
  async mounted() {
    const { Plotly } = await import("backoffice-plotly");
    this.Plotly = Plotly;
    drawTogether(this);
  },
  unmounted() {
    this.resizeObserver?.disconnect();
  },
  methods: {
    draw() {
      if (!this.last_options) this.update(); // unless an update from the server has drawn it meanwhile
      if (this.resizeObserver) return;
      this.resizeObserver = new ResizeObserver(() => {
        if (this.options.config?.responsive === false) return;
        // a chart hidden meanwhile (display: none) is not resized: Plotly throws "Resize must be passed a displayed
        // plot div element"; shown again, its size changes and this observer resizes it then
        const display = this.$el.isConnected ? getComputedStyle(this.$el).display : "";
        if (!display || display === "none") return; // Plotly's own isHidden
        this.Plotly.Plots.resize(this.$el);
      });
      this.resizeObserver.observe(this.$el);
    },
    update() {
      // before the bundle is loaded: the first draw (above) uses the options of then
      if (typeof this.Plotly === "undefined" || !this.$el?.isConnected) return;

      // default responsive to true
      const options = this.options;
      if (options.config?.responsive === true) options.config.responsive = undefined;

      // reuse plotly instance if config is the same
      if (this.last_options && JSON.stringify(options.config) === JSON.stringify(this.last_options.config)) {
        this.Plotly.react(this.$el, this.options, options.config);
      } else {
        this.Plotly.newPlot(this.$el, this.options, options.config);
        this.set_handlers();
      }

      // store last options
      this.last_options = options;
    },
    async run_plot_method(name, ...args) {
      if (typeof this.Plotly === "undefined") {
        logAndEmit("error", "Plotly is not loaded yet.");
        return;
      }
      convertDynamicProperties(args, true);
      const result = await runMethod(this.Plotly, name, [this.$el, ...args]);
      // most plotly.js functions resolve to the graph element, which cannot be serialized back to the server
      return result === this.$el ? undefined : result;
    },
    set_handlers() {
      // forward events
      for (const name of [
        // source: https://plotly.com/javascript/plotlyjs-events/
        "plotly_click",
        "plotly_legendclick",
        "plotly_selecting",
        "plotly_selected",
        "plotly_hover",
        "plotly_unhover",
        "plotly_legenddoubleclick",
        "plotly_restyle",
        "plotly_relayout",
        "plotly_webglcontextlost",
        "plotly_afterplot",
        "plotly_autosize",
        "plotly_deselect",
        "plotly_doubleclick",
        "plotly_redraw",
        "plotly_animated",
      ]) {
        this.$el.on(name, (event) => {
          const args = {
            ...event,
            points: event?.points?.map((p) => ({
              ...p,
              fullData: undefined,
              xaxis: undefined,
              yaxis: undefined,
            })),
            xaxes: undefined,
            yaxes: undefined,
          };
          this.$emit(name, args);
        });
      }
    },
  },
  data() {
    return {
      last_options: null,
    };
  },
  props: {
    options: Object,
  },
};
