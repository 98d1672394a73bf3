// vitrine's local stand-in for Shopify's storefront standard events module
// (https://cdn.shopify.com/storefront/standard-events.js), which themes such as Horizon import
// as `@shopify/events`. Served at /__vitrine/shopify/standard-events.js so a theme works offline.
// The events are plain DOM events carrying their payload as fields; nothing is sent anywhere.

export const StandardEvents = Object.freeze({
  pageView: 'shopify:page:view',
  productView: 'shopify:product:view',
  productSelect: 'shopify:product:select',
  cartView: 'shopify:cart:view',
  cartError: 'shopify:cart:error',
  cartLinesUpdate: 'shopify:cart:lines-update',
  cartNoteUpdate: 'shopify:cart:note-update',
  cartDiscountUpdate: 'shopify:cart:discount-update',
  searchUpdate: 'shopify:search:update',
  collectionView: 'shopify:collection:view',
  collectionUpdate: 'shopify:collection:update',
});

function createGid(resourceType, id) {
  if (id === null || id === undefined) return id;
  const text = String(id);
  return text.startsWith('gid://') ? text : `gid://shopify/${resourceType}/${text}`;
}

// Raw ids in `id`/`merchandiseId` fields become gids, as the real module's constructors accept.
function withGids(value, resourceType) {
  if (Array.isArray(value)) return value.map((item) => withGids(item, resourceType));
  if (!value || typeof value !== 'object' || value instanceof Promise) return value;
  const out = {};
  for (const [key, field] of Object.entries(value)) {
    if (key === 'merchandiseId') out[key] = createGid('ProductVariant', field);
    else if (key === 'id' && resourceType && (typeof field === 'number' || typeof field === 'string'))
      out[key] = createGid(resourceType, field);
    else if (key === 'product') out[key] = withGids(field, 'Product');
    else if (key === 'selectedVariant' || key === 'variant') out[key] = withGids(field, 'ProductVariant');
    else if (key === 'collection') out[key] = withGids(field, 'Collection');
    else if (key === 'lines') out[key] = withGids(field, 'CartLine');
    else if (key === 'cart') out[key] = withGids(field, 'Cart');
    else out[key] = field;
  }
  return out;
}

function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

function money(cents, currencyCode) {
  const amount = typeof cents === 'string' ? Number(cents) : cents;
  return { amount: (Number.isFinite(amount) ? amount / 100 : 0).toFixed(2), currencyCode: currencyCode || '' };
}

// A cart from /cart.js as the events' cart summary.
function fromAjaxCart(cart) {
  const currency = cart?.currency || '';
  return {
    id: createGid('Cart', cart?.token ?? ''),
    totalQuantity: cart?.item_count ?? 0,
    cost: { totalAmount: money(cart?.total_price, currency) },
    lines: (cart?.items || []).map((line) => ({
      id: createGid('CartLine', line.key ?? String(line.id)),
      quantity: line.quantity,
      cost: { totalAmount: money(line.final_line_price, currency) },
    })),
    discountCodes: (cart?.discount_codes || []).map(({ code, applicable }) => ({ code, applicable })),
  };
}

const SORT_KEYS = {
  manual: 'MANUAL',
  'best-selling': 'BEST_SELLING',
  'title-ascending': 'TITLE',
  'title-descending': 'TITLE',
  'price-ascending': 'PRICE',
  'price-descending': 'PRICE',
  'created-ascending': 'CREATED',
  'created-descending': 'CREATED',
  relevance: 'RELEVANCE',
};

function sortKey(searchParams, fallback) {
  const value = (searchParams || new URLSearchParams(location.search)).get('sort_by');
  return (value && SORT_KEYS[value]) || fallback;
}

// Storefront filter parameters (`filter.v.price.gte=10`, `filter.p.vendor=Acme`, ...).
function parseProductFilters(searchParams) {
  const params = searchParams || new URLSearchParams(location.search);
  const filters = [];
  const price = {};
  for (const [name, value] of params) {
    if (!name.startsWith('filter.')) continue;
    const parts = name.split('.');
    if (name === 'filter.v.availability') filters.push({ available: value === '1' || value === 'true' });
    else if (name === 'filter.v.price.gte') price.min = Number(value);
    else if (name === 'filter.v.price.lte') price.max = Number(value);
    else if (name === 'filter.p.vendor') filters.push({ productVendor: value });
    else if (name === 'filter.p.product_type') filters.push({ productType: value });
    else if (name === 'filter.p.tag') filters.push({ tag: value });
    else if (parts[2] === 'option' && parts.length > 3)
      filters.push({ variantOption: { name: parts.slice(3).join('.'), value } });
    else if (parts[2] === 'm' && parts.length > 4) {
      const field = { namespace: parts[3], key: parts.slice(4).join('.'), value };
      filters.push(parts[1] === 'v' ? { variantMetafield: field } : { productMetafield: field });
    } else if (parts[1] === 't' && parts.length > 2)
      filters.push({ taxonomyMetafield: { key: parts.slice(2).join('.'), value } });
  }
  if (price.min !== undefined || price.max !== undefined) filters.push({ price });
  return filters.length ? filters : undefined;
}

export class ShopifyStandardEvent extends Event {
  static eventName = '';
  static createGid = createGid;

  constructor(type, payload, options) {
    // Themes dispatch these on their own elements and listen on `document`.
    super(type, { bubbles: true, composed: true, ...options });
    Object.assign(this, payload);
  }
}

function eventClass(eventName, extras = {}) {
  const Class = class extends ShopifyStandardEvent {
    constructor(payload) {
      super(eventName, withGids(payload || {}));
    }
  };
  Object.defineProperty(Class, 'eventName', { value: eventName });
  Object.assign(Class, extras);
  return Class;
}

const withPromise = { createPromise: deferred };
const withCart = { createPromise: deferred, createCartFromAjaxResponse: fromAjaxCart };

export const PageViewEvent = eventClass(StandardEvents.pageView);
export const ProductViewEvent = eventClass(StandardEvents.productView);
export const ProductSelectEvent = eventClass(StandardEvents.productSelect, withPromise);
export const CartViewEvent = eventClass(StandardEvents.cartView, {
  createCartFromAjaxResponse: fromAjaxCart,
});
export const CartErrorEvent = eventClass(StandardEvents.cartError);
export const CartLinesUpdateEvent = eventClass(StandardEvents.cartLinesUpdate, withCart);
export const CartNoteUpdateEvent = eventClass(StandardEvents.cartNoteUpdate, withCart);
export const CartDiscountUpdateEvent = eventClass(StandardEvents.cartDiscountUpdate, withCart);
export const SearchUpdateEvent = eventClass(StandardEvents.searchUpdate, {
  ...withPromise,
  parseProductFilters,
  getSortKey: (params) => sortKey(params, 'RELEVANCE'),
});
export const CollectionViewEvent = eventClass(StandardEvents.collectionView);
export const CollectionUpdateEvent = eventClass(StandardEvents.collectionUpdate, {
  ...withPromise,
  parseProductFilters,
  getSortKey: (params) => sortKey(params, 'COLLECTION_DEFAULT'),
});

// The view event for a payload of the `standard_event_data: 'view'` filter, by what it holds.
function viewEventFor(payload) {
  if (payload.product) return new ProductViewEvent(payload);
  if (payload.collection) return new CollectionViewEvent(payload);
  if ('cart' in payload) return new CartViewEvent(payload);
  if (payload.page) return new PageViewEvent(payload);
  return null;
}

export function createViewEventElement(Base = HTMLElement, options = {}) {
  return class extends Base {
    #observer = null;
    #dispatched = false;

    connectedCallback() {
      super.connectedCallback?.();
      const trigger = this.getAttribute('view-event-trigger') || options.defaultTrigger || 'connect';
      if (trigger === 'connect') this.dispatchViewEvent();
      else if (trigger === 'intersect' && 'IntersectionObserver' in window) {
        this.#observer = new IntersectionObserver((entries) => {
          if (entries.some((entry) => entry.isIntersecting)) {
            this.#observer?.disconnect();
            this.dispatchViewEvent();
          }
        });
        this.#observer.observe(this);
      } else if (trigger === 'dialog') {
        const dialog = this.closest('dialog');
        dialog?.addEventListener('toggle', () => dialog.open && this.dispatchViewEvent());
      }
    }

    disconnectedCallback() {
      this.#observer?.disconnect();
      super.disconnectedCallback?.();
    }

    dispatchViewEvent() {
      if (this.#dispatched) return;
      const source =
        this.getAttribute('view-event-payload') ||
        this.querySelector('script[type="application/json"][data-view-event-payload]')?.textContent;
      if (!source) return;
      let payload;
      try {
        payload = JSON.parse(source);
      } catch {
        return;
      }
      const event = viewEventFor(payload);
      if (!event) return;
      this.#dispatched = true;
      this.dispatchEvent(event);
    }
  };
}
