// The drawer's menu as one element (components/navigation.py): the same Quasar list the shell built entry by entry,
// drawn here from the entries the server sends as data. Texts are interpolated ({{ }}), never parsed as markup.
// Under the drawer's breakpoint (a phone) the drawer is closed when the page opens: its entries are drawn once the page
// has painted (issue 20: some 200 DOM nodes nobody sees before the menu button is pressed), not with the first paint.
const DRAWER_SHOWN_ABOVE = 1023; // px: the drawer's `breakpoint` (components/shell.py)

export default {
  template: `
    <q-list dense padding class="w-full pt-4">
      <template v-if="drawn"><template v-for="(entry, index) in entries" :key="index">
        <q-item-label v-if="entry.header" header class="text-xs uppercase tracking-wide pt-4">{{ entry.header }}</q-item-label>
        <q-item
          v-else
          clickable
          tag="a"
          :href="entry.path"
          active-class="text-primary bg-blue-50"
          class="rounded-r-full mr-2"
          :active="entry.path === current"
          :aria-current="entry.path === current ? 'page' : undefined"
        >
          <q-item-section avatar><q-icon :name="entry.icon" /></q-item-section>
          <q-item-section><q-item-label>{{ entry.title }}</q-item-label></q-item-section>
        </q-item>
      </template></template>
    </q-list>
  `,
  props: {
    entries: Array,
    current: String,
  },
  data() {
    return { drawn: window.innerWidth > DRAWER_SHOWN_ABOVE };
  },
  mounted() {
    if (this.drawn) return;
    const draw = () => (this.drawn = true);
    if (window.requestIdleCallback) window.requestIdleCallback(draw, { timeout: 300 });
    else setTimeout(draw, 50);
  },
};
