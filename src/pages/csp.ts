import type { Config } from '../config';
import { xAuthorizeOrigins } from '../x/x.oauth';

/** Where Stripe's hosted Checkout lives: the emulator's origin when one is configured. */
function checkoutOrigins(stripeApiBase: string | undefined): string[] {
  return stripeApiBase ? [new URL(stripeApiBase).origin] : ['https://checkout.stripe.com'];
}

/**
 * Helmet's CSP, tightened for the buyer pages: nothing external is loaded, and forms may only
 * lead (including through redirects, which Chromium checks) to us, Stripe Checkout and X's
 * consent page. upgrade-insecure-requests only when we are served over https, or a plain-http
 * deployment (tests, sandbox) would send browsers to an https that does not exist.
 */
export function cspDirectives(config: Pick<Config, 'PUBLIC_BASE_URL' | 'STRIPE_API_BASE' | 'X_API_BASE'>) {
  return {
    defaultSrc: ["'self'"],
    styleSrc: ["'self'"],
    scriptSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    formAction: ["'self'", ...checkoutOrigins(config.STRIPE_API_BASE), ...xAuthorizeOrigins(config.X_API_BASE)],
    frameAncestors: ["'none'"],
    upgradeInsecureRequests: config.PUBLIC_BASE_URL.startsWith('https://') ? [] : null,
  };
}
