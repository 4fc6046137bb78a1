// A queue's count on its button ('Mine 5'): set here by a method call (showText) when a request changes, not by an
// update of the element, which would render the whole page of every agent with the list open.
export default {
  template: `<span v-show="shown !== ''">{{ shown }}</span>`,
  props: { text: String },
  data() {
    return { shown: this.text };
  },
  methods: {
    showText(text) {
      this.shown = text;
    },
  },
};
