// A resource list's q-table that keeps its rows and pagination in its own state, so that a live change is a method
// call (patchRows) which redraws this table alone, with only the changed rows sent; an update of the element (a page
// asked for, a filter) still replaces them whole. Rows are data, shown through the slot templates' {{ }} as text.
//
// On a phone the first paint draws only the cards that cover the reader's first screen (two or three show under the
// list's toolbar): the others follow right after that paint, before anyone can scroll to them (issue 20, first rows:
// each card is ~23 DOM nodes and a slot component to mount). When the first ones do not reach the window's bottom (a
// tall screen), all of them are drawn at once, as before. A desktop's table draws all its rows at once: drawing 12
// first was not faster there in three interleaved runs (bench/README.md, firstrows3).
const FIRST_CARDS = 6;

export default {
  template: `
    <q-table ref="qRef" :rows="shownRows" :pagination="shownPagination" :row-key="rowKey">
      <template v-for="(_, slot) in $slots" v-slot:[slot]="slotProps">
        <slot :name="slot" v-bind="slotProps || {}" />
      </template>
    </q-table>
  `,
  props: {
    rows: Array,
    pagination: Object,
    rowKey: { type: String, default: "id" },
  },
  emits: ["resync"],
  data() {
    const rows = this.rows || [];
    const partial = Boolean(this.$attrs.grid) && rows.length > FIRST_CARDS;
    return { shownRows: partial ? rows.slice(0, FIRST_CARDS) : rows, shownPagination: this.pagination, partial };
  },
  mounted() {
    if (!this.partial) return;
    // measured in the frame's animation callback, whose layout the paint that follows uses (no layout forced while
    // the page mounts); rows drawn from there are still in that first paint
    requestAnimationFrame(() => {
      const table = this.$refs.qRef?.$el;
      const last = table?.querySelector(".q-table__grid-content")?.lastElementChild;
      if (!last || last.getBoundingClientRect().bottom < window.innerHeight) this.showAll(); // the screen not covered
      else setTimeout(() => this.showAll()); // right after the first paint
    });
    setTimeout(() => this.showAll(), 250); // a tab in the background paints no frame
  },
  watch: {
    rows(value) {
      this.shownRows = value;
      this.partial = false;
    },
    pagination(value) {
      this.shownPagination = value;
    },
  },
  methods: {
    // changed: the rows that are new or differ; order: every row's key, in the order shown; pagination: the new one,
    // or null when it is unchanged; texts: {element id: text} for the list's caption (list_caption.js) in the same
    // message. A row this table does not hold (a message lost) asks the server for all of them again.
    // the rows left out of the first paint (once; later rows come from the server or patchRows)
    showAll() {
      if (!this.partial) return;
      this.partial = false;
      this.shownRows = this.rows;
    },
    patchRows(changed, order, pagination, texts) {
      this.showAll();
      for (const [id, text] of Object.entries(texts || {})) getElement(id)?.showText?.(text);
      const key = this.rowKey;
      const byKey = new Map(this.shownRows.map((row) => [row[key], row]));
      for (const row of changed) byKey.set(row[key], row);
      const rows = order.map((id) => byKey.get(id));
      if (rows.some((row) => row === undefined)) {
        this.$emit("resync");
        return;
      }
      this.shownRows = rows;
      if (pagination) this.shownPagination = pagination;
    },
  },
};
