// A resource list's q-table that keeps its rows and pagination in its own state, so that a live change is a method
// call (patchRows) which redraws this table alone, with only the changed rows sent; an update of the element (a page
// asked for, a filter) still replaces them whole. Rows are data, shown through the slot templates' {{ }} as text.
//
// Each row (a table row, or a phone's card) is drawn again only when it changed: its row, its selection, the columns or
// the dark mode (what Vue's v-memo does for a v-for; here for the rows q-table draws). A change of one row then redraws
// that row alone instead of all 25 with their checkboxes and templated cells (NiceGUI makes a slot's template a new
// component on every call: unmemoized, each cell was built anew on every patch). The row drawn is the one q-table draws
// by itself (its checkbox, its cells through the `body-cell-<name>` slots, the row's click); its slot scopes read the
// row's latest scope, so a row kept where it was keeps answering with its current index.
import { h, Fragment, resolveComponent } from "vue";

const ROW_EVENTS = [
  ["onRowClick", "rowClick", "onClick"],
  ["onRowDblclick", "rowDblclick", "onDblclick"],
  ["onRowContextmenu", "rowContextmenu", "onContextmenu"],
];
const READ = ["key", "row", "pageIndex", "cols", "colsMap", "sort", "rowIndex", "color", "dark", "dense"];
const WRITE = ["selected", "expand"];
const CLIPPED = /(^|\s)bo-clip(\s|$)/;

function cellValue(col, row) {
  const value = typeof col.field === "function" ? col.field(row) : row[col.field];
  return col.format !== undefined ? col.format(value, row) : value;
}

function sameMemo(before, now) {
  return before.length === now.length && before.every((value, index) => Object.is(value, now[index]));
}

// a scope whose values are those of the row's latest scope (q-table makes a new one on every render)
function liveScope(latest, extra = {}) {
  const scope = { ...extra };
  for (const name of READ) {
    if (!(name in scope)) Object.defineProperty(scope, name, { get: () => latest()?.[name], enumerable: true });
  }
  for (const name of WRITE) {
    Object.defineProperty(scope, name, {
      get: () => latest()?.[name],
      set: (value) => {
        const now = latest();
        if (now !== undefined) now[name] = value;
      },
      enumerable: true,
    });
  }
  return scope;
}

export default {
  props: {
    rows: Array,
    pagination: Object,
    rowKey: { type: String, default: "id" },
  },
  // update:pagination is declared and passed on by hand: Vue does not let a listener `onUpdate:<prop>` fall through to
  // q-table when this component declares that prop, and a q-table without it keeps the pagination it was created with
  // (its footer said "1-0 of 0" beside 2 rows after a live insert, and its next-page arrow asked for page 2 again)
  emits: ["resync", "update:pagination"],
  data() {
    return { shownRows: this.rows, shownPagination: this.pagination };
  },
  created() {
    // not reactive: what each row was last drawn as, and the latest scope q-table gave it, by key
    this.drawn = { row: new Map(), card: new Map() };
    this.scopes = { row: new Map(), card: new Map() };
    this.columnsSeen = null;
  },
  watch: {
    rows(value) {
      this.shownRows = value;
    },
    pagination(value) {
      this.shownPagination = value;
    },
  },
  render() {
    this.QCheckbox = resolveComponent("QCheckbox");
    // `_: 2` (Vue's "dynamic" compiled slots): q-table calls these functions as they are, so a row is the `tr` itself,
    // keyed, among the table's rows (Vue would wrap each in an unkeyed fragment: any row moved would be built anew)
    const slots = { ...this.$slots, _: 2 };
    if (!this.$slots.body) slots.body = (scope) => this.memoized("row", scope);
    if (this.$slots.item) slots.item = (scope) => this.memoized("card", scope);
    return h(
      resolveComponent("QTable"),
      {
        ref: "qRef",
        rows: this.shownRows,
        pagination: this.shownPagination,
        rowKey: this.rowKey,
        paginationLabel: this.paginationLabel,
        "onUpdate:pagination": (value) => this.$emit("update:pagination", value),
      },
      slots,
    );
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
    // the footer's words: the server's, made with the pagination they describe ('1–25 of about 990,000', as the
    // caption counts, in the reader's language), so they follow a page asked for and a live change with it
    paginationLabel(first, last, total) {
      const label = this.shownPagination?.label;
      return typeof label === "string" ? label : this.$q.lang.table.pagination(first, last, total);
    },
    // the row's vnode of the last render when nothing it shows changed (Vue then skips it), else drawn anew
    memoized(kind, scope) {
      const key = scope.key;
      this.scopes[kind].set(key, scope);
      const columns = this.columns(scope.colsMap);
      const listens = ROW_EVENTS.map(([listener]) => this.$attrs[listener] !== undefined).join();
      const memo = [scope.row, scope.selected, scope.dark, scope.dense, scope.color, columns.sign, listens];
      const before = this.drawn[kind].get(key);
      if (before !== undefined && sameMemo(before.memo, memo)) return before;
      const vnode = kind === "row" ? this.drawRow(scope, columns.list) : this.drawCard(scope);
      vnode.memo = memo; // Vue takes a vnode with a memo as it is, not as a copy (v-memo's vnodes)
      this.drawn[kind].set(key, vnode);
      return vnode;
    },
    // the columns' shape: q-table makes its columns anew when the sort or the row count moves, the same ones
    columns(colsMap) {
      if (this.columnsSeen?.colsMap !== colsMap) {
        const list = Object.values(colsMap);
        const plain = list.every((col) =>
          ["field", "format", "classes", "style"].every((name) => typeof col[name] !== "function"),
        );
        const shape = plain ? JSON.stringify(list.map((c) => [c.name, c.field, c.align, c.classes, c.style])) : list;
        const sign = this.columnsSeen !== null && this.columnsSeen.shape === shape ? this.columnsSeen.sign : shape;
        this.columnsSeen = { colsMap, list, shape, sign };
      }
      return this.columnsSeen;
    },
    forget(kind, key, vnode) {
      if (this.drawn[kind].get(key) !== vnode) return; // drawn anew since
      this.drawn[kind].delete(key);
      this.scopes[kind].delete(key);
    },
    // what q-table draws for a row without a body slot (QTable.js getTBodyTR), its slot scopes live
    drawRow(scope, cols) {
      const key = scope.key;
      const latest = () => this.scopes.row.get(key);
      const row = scope.row;
      const children = cols.map((col) => {
        const slot = this.$slots[`body-cell-${col.name}`] || this.$slots["body-cell"];
        if (slot === undefined) {
          const value = cellValue(col, row);
          const data = { class: col.__tdClass(row), style: col.__tdStyle(row) };
          if (!CLIPPED.test(col.classes || "")) return h("td", data, value);
          // a text cell, cut with an ellipsis (bo-clip, resource_table.py): its whole value on hover, as text; its
          // length lets the column keep a short value whole
          const text = value == null ? "" : String(value);
          if (text !== "") data.title = text;
          data.style = [data.style, { "--bo-len": text.length }];
          return h("td", data, [h("div", { class: "bo-clip-text" }, value)]);
        }
        const cell = liveScope(latest, { col });
        Object.defineProperty(cell, "value", { get: () => cellValue(col, latest()?.row ?? row), enumerable: true });
        return slot(cell);
      });
      if ("selected" in scope) {
        const slot = this.$slots["body-selection"];
        const content = slot
          ? slot(liveScope(latest))
          : [
              h(this.QCheckbox, {
                modelValue: scope.selected,
                color: scope.color,
                dark: scope.dark,
                dense: scope.dense,
                "onUpdate:modelValue": (adding) => {
                  const now = latest();
                  if (now !== undefined) now.selected = adding; // q-table's own selection update
                },
              }),
            ];
        children.unshift(h("td", { class: "q-table--col-auto-width" }, content));
      }
      // forgotten as it leaves (a row gone from the page, the table turned into cards), not to be shown again
      const data = {
        key,
        class: { selected: scope.selected === true },
        onVnodeBeforeUnmount: () => this.forget("row", key, vnode),
      };
      for (const [listener, event, on] of ROW_EVENTS) {
        if (this.$attrs[listener] === undefined) continue;
        data.class["cursor-pointer"] = true;
        data[on] = (evt) => {
          const now = latest();
          if (now !== undefined) this.$refs.qRef.$emit(event, evt, now.row, now.pageIndex);
        };
      }
      const vnode = h("tr", data, children);
      return vnode;
    },
    // a phone's card: the `item` slot's template, given the row's live scope
    drawCard(scope) {
      const key = scope.key;
      const live = liveScope(() => this.scopes.card.get(key));
      const forget = () => this.forget("card", key, vnode);
      const vnode = h(Fragment, { key, onVnodeBeforeUnmount: forget }, this.$slots.item(live));
      return vnode;
    },
  },
};
