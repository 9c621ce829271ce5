import { z } from 'zod';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { listQuery } from '../http/pagination';
import { idParam, jsonBody, listOf, problemResponses } from '../http/openapi-helpers';
import { plainText } from '../http/text';
import { hashtagProblem, stripHash } from './hashtag';
import { countryOf } from '../shipping/countries';
import { optionView, refineVariants, variantFields, variantView } from '../variants/variants.schema';

const CURRENCIES = new Set(Intl.supportedValuesOf('currency').map((c) => c.toLowerCase()));

const hashtag = z
  .string()
  .transform(stripHash)
  .superRefine((tag, ctx) => {
    const problem = hashtagProblem(tag);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .meta({
    description: "The purchase hashtag, with or without '#'. X's rules: letters, digits, underscore; not only digits; ≤ 100 characters; no invisible characters. " +
      'A hashtag that is, or looks like, a live product\'s hashtag (any merchant) is refused with 409',
    example: 'BuyBlueMug',
  });

const currency = z
  .string()
  .regex(/^[a-z]{3}$/, 'must be a lower-case ISO 4217 code such as "usd"')
  .refine((c) => CURRENCIES.has(c), 'is not an ISO 4217 currency')
  .meta({ example: 'usd' });

const metadataKey = plainText(z.string().min(1, 'must not be empty').max(40, 'must be at most 40 characters'));
const metadataValue = plainText(z.string().max(500, 'values must be at most 500 characters'), { multiline: true });

const metadata = z
  .record(metadataKey, metadataValue)
  .refine((m) => Object.keys(m).length <= 50, 'may have at most 50 keys')
  .meta({ description: 'Up to 50 string key-value pairs for your own use' });

const shipping = z.enum(['required', 'none']).meta({
  description: "'required': physical goods; the buyer's shipping address is taken with the order. 'none': digital goods, tickets, donations",
});

const countryCode = z
  .string()
  .regex(/^[A-Za-z]{2}$/, 'must be ISO 3166-1 alpha-2 codes such as "US"')
  .refine((c) => countryOf(c) !== undefined, 'must be ISO 3166-1 alpha-2 country codes')
  .transform((c) => c.toUpperCase());

const shippingCountries = z
  .array(countryCode)
  .min(1, 'must list at least one country, or be null to ship anywhere')
  .max(250, 'may list at most 250 countries')
  .transform((list) => [...new Set(list)])
  .nullable()
  .meta({ description: 'Countries this product ships to (ISO 3166-1 alpha-2); null = anywhere', example: ['US', 'CA'] });

/** A week: longer than any buyer needs to change their mind before a shop ships. */
export const MAX_CANCEL_WINDOW_MINUTES = 10_080;

const cancelWindow = z
  .number()
  .int('must be a whole number of minutes')
  .min(0, 'must be 0 (no buyer cancel) or more')
  .max(MAX_CANCEL_WINDOW_MINUTES, `must be at most ${MAX_CANCEL_WINDOW_MINUTES} (a week)`)
  .meta({
    description: "Minutes after an order is placed during which its buyer may cancel it by answering the receipt with #cancel on X " +
      '(full refund, units back in stock), as long as it is not fulfilled. 0 = buyers cannot cancel',
    example: 15,
  });

const supportEmail = z
  .email('must be an email address')
  .max(254, 'must be at most 254 characters')
  .nullable()
  .meta({ description: "Where buyers reach you about an order: shown on the buyer's account page, never posted on X", example: 'help@example.com' });

const waitlist = z.boolean().meta({
  description: 'When the product is sold out, further purchase posts join a waitlist in post order; a unit that frees up ' +
    '(decline, lapsed signup or confirmation, cancel, refund with restock, more inventory) goes to the first in line automatically. ' +
    'false = they are told it is sold out',
});
const waitlistLimit = z.number().int('must be a whole number').min(1, 'must be at least 1, or null for no limit').max(1_000_000, 'must be at most 1000000')
  .nullable().meta({ description: 'Most orders the waitlist holds; later posts are told it is sold out. null = no limit', example: 200 });
const confirm = z.enum(['never', 'first_purchase', 'above_amount']).meta({
  description: "When a buyer with a saved card must reply #confirm (within 15 minutes) before the order is charged: 'never', " +
    "'first_purchase' (their first paid order from you), 'above_amount' (orders above confirm_above_amount). " +
    'Buyers may also ask to confirm every order (their account page). The unit is held meanwhile; without #confirm the order expires',
});
const confirmAboveAmount = z.number().int('must be an integer in minor units').min(0, 'must be 0 or more').max(99_999_999_999, 'must be at most 99999999999')
  .nullable().meta({ description: "With confirm 'above_amount': orders whose amount (minor units) is above this wait for #confirm", example: 10000 });

const datetime = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time, e.g. 2026-12-01T09:00:00Z' });

const fields = {
  name: plainText(z.string().trim().min(1, 'is required').max(200, 'must be at most 200 characters')),
  description: plainText(z.string().max(1000, 'must be at most 1000 characters'), { multiline: true }).nullable(),
  unit_amount: z.number().int('must be an integer in minor units (cents)').min(1, 'must be at least 1').max(99_999_999, 'must be at most 99999999').meta({ description: 'Price of one unit in minor units', example: 1800 }),
  inventory: z.number().int('must be an integer').min(0, 'must be 0 or more').max(10_000_000).nullable().meta({ description: 'Units for sale; null = unlimited' }),
  max_per_order: z.number().int('must be an integer').min(1, 'must be at least 1').max(1000, 'must be at most 1000'),
  starts_at: datetime.nullable(),
  ends_at: datetime.nullable(),
};

function windowOk(v: { starts_at?: string | null; ends_at?: string | null }) {
  return !(v.starts_at && v.ends_at && Date.parse(v.ends_at) <= Date.parse(v.starts_at));
}

/** A threshold exactly when the rule is `above_amount` (an update is checked against the stored product too). */
export function confirmRuleProblem(v: { confirm?: string; confirm_above_amount?: number | null }): string | null {
  if (v.confirm === 'above_amount' && (v.confirm_above_amount === null || v.confirm_above_amount === undefined)) return "is required when confirm is 'above_amount'";
  if (v.confirm !== undefined && v.confirm !== 'above_amount' && v.confirm_above_amount !== null && v.confirm_above_amount !== undefined) {
    return "applies only when confirm is 'above_amount'";
  }
  return null;
}
const confirmOk = (v: { confirm?: string; confirm_above_amount?: number | null }) => confirmRuleProblem(v) === null;
const confirmIssue = { message: "is required with confirm 'above_amount', and only with it", path: ['confirm_above_amount'] };

export const createProductBody = z
  .strictObject({
    name: fields.name,
    hashtag,
    unit_amount: fields.unit_amount,
    currency,
    inventory: fields.inventory.optional(),
    max_per_order: fields.max_per_order.default(1),
    description: fields.description.optional(),
    starts_at: fields.starts_at.optional(),
    ends_at: fields.ends_at.optional(),
    metadata: metadata.default({}),
    shipping: shipping.default('required'),
    shipping_countries: shippingCountries.default(null),
    cancel_window_minutes: cancelWindow.default(15),
    support_email: supportEmail.default(null),
    options: variantFields.options.optional(),
    variants: variantFields.variants.optional(),
    waitlist: waitlist.default(true),
    waitlist_limit: waitlistLimit.default(null),
    confirm: confirm.default('never'),
    confirm_above_amount: confirmAboveAmount.default(null),
  })
  .refine(windowOk, { message: 'must be after starts_at', path: ['ends_at'] })
  .refine((b) => !(b.variants?.length && b.inventory !== undefined), { message: 'is set per variant when the product has variants', path: ['inventory'] })
  .refine(confirmOk, confirmIssue)
  .superRefine(refineVariants);

export const updateProductBody = z
  .strictObject({
    name: fields.name.optional(),
    hashtag: hashtag.optional(),
    unit_amount: fields.unit_amount.optional(),
    inventory: fields.inventory.optional(),
    max_per_order: fields.max_per_order.optional(),
    description: fields.description.optional(),
    starts_at: fields.starts_at.optional(),
    ends_at: fields.ends_at.optional(),
    metadata: z.record(metadataKey, metadataValue).nullable().optional()
      .meta({ description: 'Merged into the existing metadata; an empty string removes a key; null removes all' }),
    shipping: shipping.optional(),
    shipping_countries: shippingCountries.optional(),
    cancel_window_minutes: cancelWindow.optional(),
    support_email: supportEmail.optional(),
    options: variantFields.options.optional(),
    variants: variantFields.variants.optional(),
    waitlist: waitlist.optional(),
    waitlist_limit: waitlistLimit.optional(),
    confirm: confirm.optional(),
    confirm_above_amount: confirmAboveAmount.optional(),
  })
  .refine(windowOk, { message: 'must be after starts_at', path: ['ends_at'] })
  .refine((b) => !(b.variants?.length && b.inventory !== undefined), { message: 'is set per variant when the product has variants', path: ['inventory'] })
  .superRefine(refineVariants);

export const listProductsQuery = z.strictObject({ ...listQuery, status: z.enum(['active', 'archived']).optional() });

export const product = z
  .object({
    id: z.string().meta({ example: 'prod_8Hk2...' }),
    object: z.literal('product'),
    name: z.string(),
    description: z.string().nullable(),
    hashtag: z.string().meta({ example: '#BuyBlueMug' }),
    unit_amount: z.number().int(),
    currency: z.string(),
    inventory: z.number().int().nullable(),
    inventory_remaining: z.number().int().nullable().meta({ description: 'Left to sell; reserved units count as gone. null = unlimited' }),
    max_per_order: z.number().int(),
    starts_at: z.string().nullable(),
    ends_at: z.string().nullable(),
    metadata: z.record(z.string(), z.string()),
    shipping: z.enum(['required', 'none']),
    shipping_countries: z.array(z.string()).nullable().meta({ description: 'ISO 3166-1 alpha-2 codes; null = anywhere' }),
    cancel_window_minutes: z.number().int().meta({ description: 'Minutes a buyer may cancel an order with #cancel; 0 = off' }),
    support_email: z.string().nullable().meta({ description: "Shown to buyers on their account page; null = none" }),
    options: z.array(optionView).meta({ description: 'What buyers choose between; empty for a product without variants' }),
    variants: z.array(variantView).meta({ description: "The live variants, in your order; a buyer's post names one by its option values" }),
    waitlist: z.boolean().meta({ description: 'Sold out: further posts join a waitlist in post order' }),
    waitlist_limit: z.number().int().nullable().meta({ description: 'Most orders the waitlist holds; null = no limit' }),
    waitlist_length: z.number().int().meta({ description: 'Orders waiting on the waitlist now' }),
    confirm: z.enum(['never', 'first_purchase', 'above_amount']),
    confirm_above_amount: z.number().int().nullable(),
    status: z.enum(['active', 'archived']),
    created: z.number().int(),
    updated: z.number().int(),
  })
  .meta({ id: 'Product' });

export function registerProductPaths(r: OpenAPIRegistry): void {
  const sec = [{ apiKey: [] }];
  const ok = (description: string) => ({ description, content: { 'application/json': { schema: product } } });
  r.registerPath({
    method: 'post', path: '/v1/products', tags: ['Products'], summary: 'Create a product with its purchase hashtag', security: sec,
    request: { body: jsonBody(createProductBody) },
    responses: { 201: ok('Created'), ...problemResponses(400, 401, 409, 413, 415, 422, 429) },
  });
  r.registerPath({
    method: 'get', path: '/v1/products', tags: ['Products'], summary: 'List your products, newest first', security: sec,
    request: { query: listProductsQuery },
    responses: { 200: { description: 'A page of products', content: { 'application/json': { schema: listOf(product, 'ProductList') } } }, ...problemResponses(400, 401, 429) },
  });
  r.registerPath({
    method: 'get', path: '/v1/products/{id}', tags: ['Products'], summary: 'Retrieve a product', security: sec,
    request: { params: idParam('prod') }, responses: { 200: ok('The product'), ...problemResponses(401, 404, 429) },
  });
  r.registerPath({
    method: 'patch', path: '/v1/products/{id}', tags: ['Products'], summary: 'Update a product (archived products cannot change)', security: sec,
    request: { params: idParam('prod'), body: jsonBody(updateProductBody) },
    responses: { 200: ok('The updated product'), ...problemResponses(400, 401, 404, 409, 413, 415, 429) },
  });
  r.registerPath({
    method: 'delete', path: '/v1/products/{id}', tags: ['Products'], summary: 'Archive a product: it stops selling and frees its hashtag', security: sec,
    request: { params: idParam('prod') }, responses: { 200: ok('The archived product'), ...problemResponses(401, 404, 429) },
  });
}
