// A resource list's q-table that keeps its rows and pagination in its own state, so that a live change is a method
// call (patchRows) which redraws this table alone, with only the changed rows sent; an update of the element (a page
// asked for, a filter) still replaces them whole. Rows are data, shown through the slot templates' {{ }} as text.
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
    return { shownRows: this.rows, shownPagination: this.pagination };
  },
  watch: {
    rows(value) {
      this.shownRows = value;
    },
    pagination(value) {
      this.shownPagination = value;
    },
  },
  methods: {
    // changed: the rows that are new or differ; order: every row's key, in the order shown; pagination: the new one,
    // or null when it is unchanged; texts: {element id: text} for the list's caption (list_caption.js) in the same
    // message. A row this table does not hold (a message lost) asks the server for all of them again.
    patchRows(changed, order, pagination, texts) {
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
