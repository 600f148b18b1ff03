// The browser test's storefront is the simulator's stand-in storefront (tools/storefront/storefront.mjs: the theme app
// extension rendered with liquidjs, the AJAX cart, Shopify's signed app proxy), serving its one fixed product
// (/products/widget, PRODUCT) when no simulator catalog is given.
export {PRODUCT, fixedCatalog, signProxyQuery, startStorefront} from '../../tools/storefront/storefront.mjs';
