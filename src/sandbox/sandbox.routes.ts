import { Router } from 'express';
import { z } from 'zod';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { parseBody } from '../http/validate';
import { AppError, errors } from '../http/errors';
import { PaymentsRejectedError } from '../payments/payments.port';
import { jsonBody, problemResponses } from '../http/openapi-helpers';
import type { BuyersService } from '../buyers/buyers.service';
import type { Queues } from '../queue/queues';
import { enqueueFollowups } from '../queue/followups';

const TEST_CARDS = ['pm_card_visa', 'pm_card_mastercard', 'pm_card_chargeDeclined', 'pm_card_chargeDeclinedInsufficientFunds',
  'pm_card_authenticationRequired', 'pm_card_chargeCustomerFail', 'pm_card_authenticationRequiredOnSetup'] as const;

export const sandboxBuyerBody = z.strictObject({
  x_user_id: z.string().regex(/^\d{1,20}$/, 'must be a numeric X user id'),
  x_username: z.string().regex(/^[A-Za-z0-9_]{1,15}$/, 'must be an X username').optional(),
  payment_method: z.enum(TEST_CARDS).default('pm_card_visa'),
});

export const sandboxBuyer = z.object({
  id: z.string(), object: z.literal('buyer'), x_user_id: z.string(), card: z.object({ brand: z.string().nullable(), last4: z.string().nullable() }),
  resumed_orders: z.number().int(),
}).meta({ id: 'SandboxBuyer' });

/** Sandbox only: links an X user to a fresh emulator customer with a test card, no browser needed. */
export function sandboxRouter(buyers: BuyersService, queues: Queues, enabled: boolean): Router {
  const r = Router();
  r.post('/buyers', async (req, res) => {
    if (!enabled) throw errors.forbidden('Sandbox endpoints exist only when Stripe is the local emulator');
    const body = parseBody(sandboxBuyerBody, req.body);
    let linked;
    try {
      linked = await buyers.linkTestCard(body.x_user_id, body.x_username ?? null, body.payment_method);
    } catch (err) {
      // Stripe refuses to attach some test cards (as it would the real ones): the caller's input, not our fault.
      if (err instanceof PaymentsRejectedError) throw new AppError(402, err.code, 'Card refused', `Stripe refused ${body.payment_method}: ${err.message}`);
      throw err;
    }
    const { buyer, followups } = linked;
    await enqueueFollowups(queues, followups);
    res.status(201).json({
      id: buyer.id, object: 'buyer', x_user_id: buyer.x_user_id, card: { brand: buyer.card_brand, last4: buyer.card_last4 },
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
