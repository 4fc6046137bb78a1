// The line over a list ('3,000 requests'): its text is a prop, and a live change sets it here (showText, called by the
// list's table in the same message as its rows) without an update of the element, which would render the whole page.
export default {
  template: `<div>{{ shown }}</div>`,
  props: { text: String, stamp: Number },
  data() {
    return { shown: this.text };
  },
  watch: {
    stamp() {
      this.shown = this.text;
    },
  },
  methods: {
    showText(text) {
      this.shown = text;
    },
  },
};
