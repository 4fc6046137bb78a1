// The drawer's menu as one element (components/navigation.py): the same Quasar list the shell built entry by entry,
// drawn here from the entries the server sends as data. Texts are interpolated ({{ }}), never parsed as markup.
// Under the drawer's breakpoint (a phone) the drawer is closed when the page opens: its entries are drawn once the page
// has painted (issue 20: some 200 DOM nodes nobody sees before the menu button is pressed), not with the first paint.
const DRAWER_SHOWN_ABOVE = 1023; // px: the drawer's `breakpoint` (components/shell.py)

// Each entry is drawn as the markup Quasar's q-item / q-item-section / q-icon / q-item-label draw (same classes, same
// look, hover and focus by CSS), not as those components: some 190 Vue components at every desktop page's first paint,
// the largest part of a list page's (issue 20, first rows). The list itself stays a q-list (dense, padding, dark).
export default {
  template: `
    <q-list dense padding class="w-full pt-4">
      <template v-if="drawn"><template v-for="(entry, index) in entries" :key="index">
        <div v-if="entry.header" class="q-item__label q-item__label--header text-xs uppercase tracking-wide pt-4">{{ entry.header }}</div>
        <a
          v-else
          :href="entry.path"
          role="listitem"
          tabindex="0"
          class="q-item q-item-type row no-wrap q-item--clickable q-link cursor-pointer q-focusable q-hoverable rounded-r-full mr-2"
          :class="[entry.path === current ? 'q-item--active text-primary bg-blue-50' : '', $q.dark.isActive ? 'q-item--dark' : '']"
          :aria-current="entry.path === current ? 'page' : undefined"
        >
          <div class="q-focus-helper" tabindex="-1"></div>
          <div class="q-item__section column q-item__section--side justify-center q-item__section--avatar">
            <i class="q-icon notranslate material-icons" aria-hidden="true">{{ entry.icon }}</i>
          </div>
          <div class="q-item__section column q-item__section--main justify-center">
            <div class="q-item__label">{{ entry.title }}</div>
          </div>
        </a>
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
