import { z } from 'zod';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { MAX_UNIX_SECONDS } from '../http/time';
import { problemResponses } from '../http/openapi-helpers';

const unixTime = z.coerce.number().int('must be unix seconds').min(0, 'must be unix seconds').max(MAX_UNIX_SECONDS, 'must be at most 253402300799 (year 9999)');

export const salesReportQuery = z
  .strictObject({
    product: z.string().regex(/^prod_[A-Za-z0-9]+$/, 'must be a product id').optional().meta({ description: 'One product; all of yours when absent' }),
    'created[gte]': unixTime.optional().meta({ description: 'From (unix seconds, inclusive): posts by when they were received, orders by when they were made' }),
    'created[lt]': unixTime.optional().meta({ description: 'Until (unix seconds, exclusive)' }),
  })
  .refine((q) => q['created[gte]'] === undefined || q['created[lt]'] === undefined || q['created[lt]'] > q['created[gte]'], {
    message: 'must be after created[gte]', path: ['created[lt]'],
  });
export type SalesReportQuery = z.infer<typeof salesReportQuery>;

const counts = z.record(z.string(), z.number().int());

export const salesReport = z
  .object({
    object: z.literal('sales_report'),
    product: z.string().nullable(),
    created: z.object({ gte: z.number().int().nullable(), lt: z.number().int().nullable() }),
    posts: z.object({
      seen: z.number().int().meta({ description: 'Posts that named your products (whatever became of them)' }),
      by_outcome: counts,
      ignored_by_reason: counts.meta({ description: 'Posts that made no order, by reason (e.g. blocked, product_paused, closed_after_pause, sale_ended, quantity_over_max)' }),
    }),
    orders: z.object({
      by_status: counts,
      units_sold: z.number().int().meta({ description: 'Units of orders paid and not wholly refunded' }),
    }),
    money: z.array(z.object({
      currency: z.string(),
      gross: z.number().int().meta({ description: 'Taken from buyers, minor units' }),
      refunded: z.number().int(),
      net: z.number().int(),
      platform_fee: z.number().int().nullable().meta({ description: 'The platform fee kept on destination charges (Stripe Connect), after the share refunds gave back; null when no charge in this currency was split' }),
    })).meta({ description: 'One entry per currency' }),
    signups: z.object({
      links_sent: z.number().int().meta({ description: 'Signup links sent to buyers without a card' }),
      completed: z.number().int().meta({ description: 'Of those, the buyers who linked a card (the order went on)' }),
      conversion: z.number().nullable().meta({ description: 'completed / links_sent; null when none were sent' }),
    }),
    median_seconds_post_to_paid: z.number().int().nullable().meta({ description: 'Median time from the post to the payment, over paid orders' }),
  })
  .meta({ id: 'SalesReport' });

export function registerReportPaths(r: OpenAPIRegistry): void {
  r.registerPath({
    method: 'get', path: '/v1/reports/sales', tags: ['Reports'], security: [{ apiKey: [] }],
    summary: 'How a sale went, computed from the records (posts, orders, refunds, signups); CSV with Accept: text/csv',
    request: { query: salesReportQuery },
    responses: {
      200: {
        description: 'The report',
        content: {
          'application/json': { schema: salesReport },
          'text/csv': { schema: z.string().meta({ description: 'metric,currency,value rows, one figure a row' }) },
        },
      },
      ...problemResponses(400, 401, 404, 429),
    },
  });
}
