import { Router } from 'express';
import { z } from 'zod';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { parseBody } from '../http/validate';
import { AppError, errors } from '../http/errors';
import { PaymentsRejectedError } from '../payments/payments.port';
import { jsonBody, problemResponses } from '../http/openapi-helpers';
import type { BuyersService } from '../buyers/buyers.service';
import type { Queues } from '../queue/queues';
import { enqueueFollowups, uniqueFollowups } from '../queue/followups';
import { parseAddressForm, type ShippingAddress } from '../shipping/address';

const TEST_CARDS = ['pm_card_visa', 'pm_card_mastercard', 'pm_card_chargeDeclined', 'pm_card_chargeDeclinedInsufficientFunds',
  'pm_card_authenticationRequired', 'pm_card_chargeCustomerFail', 'pm_card_authenticationRequiredOnSetup'] as const;

export const sandboxBuyerBody = z.strictObject({
  x_user_id: z.string().regex(/^\d{1,20}$/, 'must be a numeric X user id'),
  x_username: z.string().regex(/^[A-Za-z0-9_]{1,15}$/, 'must be an X username').optional(),
  payment_method: z.enum(TEST_CARDS).default('pm_card_visa'),
  email: z.email('must be an email address').max(254).optional()
    .meta({ description: 'The email Checkout would have collected: Stripe sends the receipt of each charge there (receipt_email)' }),
  shipping: z.strictObject({
    name: z.string(), line1: z.string(), line2: z.string().optional(), city: z.string(),
    state: z.string().optional().meta({ description: 'Subdivision code or name (required for US, CA, AU, BR, MX, IN)' }),
    postal_code: z.string().optional(), country: z.string().meta({ description: 'ISO 3166-1 alpha-2' }), phone: z.string().optional(),
  }).optional().meta({ description: 'The buyer\'s shipping address, checked like the /account/address page and stored as it stores it' }),
});

/** The address given, checked by the same rules as the buyer's address page; field errors name `shipping.<field>`. */
function sandboxAddress(given: Record<string, unknown>): ShippingAddress {
  const result = parseAddressForm(given);
  if (result.ok) return result.address;
  const fieldErrors = Object.entries(result.errors).map(([field, message]) => ({ field: `shipping.${field}`, message }));
  throw errors.validation(`The shipping address is not valid: ${fieldErrors.map((e) => e.field).join(', ')}`, fieldErrors);
}

export const sandboxBuyer = z.object({
  id: z.string(), object: z.literal('buyer'), x_user_id: z.string(), card: z.object({ brand: z.string().nullable(), last4: z.string().nullable() }),
  has_shipping_address: z.boolean().meta({ description: 'Whether the buyer has a shipping address on file (given now or before)' }),
  resumed_orders: z.number().int(),
}).meta({ id: 'SandboxBuyer' });

/** Sandbox only: links an X user to a fresh emulator customer with a test card, no browser needed. */
export function sandboxRouter(buyers: BuyersService, queues: Queues, enabled: boolean): Router {
  const r = Router();
  r.post('/buyers', async (req, res) => {
    if (!enabled) throw errors.forbidden('Sandbox endpoints exist only when Stripe is the local emulator');
    const body = parseBody(sandboxBuyerBody, req.body);
    const address = body.shipping ? sandboxAddress(body.shipping) : null;
    // The address first: orders the card then resumes find it, like a buyer who filled in the page.
    const addressFollowups = address ? await buyers.saveAddress(body.x_user_id, body.x_username ?? null, address) : [];
    let linked;
    try {
      linked = await buyers.linkTestCard(body.x_user_id, body.x_username ?? null, body.payment_method, body.email);
    } catch (err) {
      // Stripe refuses to attach some test cards (as it would the real ones): the caller's input, not our fault.
      if (err instanceof PaymentsRejectedError) throw new AppError(402, err.code, 'Card refused', `Stripe refused ${body.payment_method}: ${err.message}`);
      throw err;
    }
    const { buyer } = linked;
    const followups = uniqueFollowups([...addressFollowups, ...linked.followups]);
    await enqueueFollowups(queues, followups);
    res.status(201).json({
      id: buyer.id, object: 'buyer', x_user_id: buyer.x_user_id, card: { brand: buyer.card_brand, last4: buyer.card_last4 },
      has_shipping_address: buyer.shipping !== null,
      resumed_orders: followups.filter((f) => f.kind === 'charge').length,
    });
  });
  return r;
}

export function registerSandboxPaths(r: OpenAPIRegistry): void {
  r.registerPath({
    method: 'post', path: '/v1/sandbox/buyers', tags: ['Sandbox'], security: [{ adminToken: [] }],
    summary: 'Sandbox only: link an X user to a test card (refused unless Stripe is the emulator)',
    request: { body: jsonBody(sandboxBuyerBody) },
    responses: { 201: { description: 'The linked buyer', content: { 'application/json': { schema: sandboxBuyer } } }, ...problemResponses(400, 401, 402, 403, 413, 415, 422, 429) },
  });
}
