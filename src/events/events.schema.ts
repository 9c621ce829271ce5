import { z } from 'zod';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { listQuery } from '../http/pagination';
import { idParam, listOf, problemResponses } from '../http/openapi-helpers';
import { order } from '../orders/orders.schema';
import { product } from '../products/products.schema';
import { EVENT_CATALOGUE, EVENT_TYPES } from './catalogue';
import { orderVariant } from '../variants/variants.schema';

const unixTime = z.coerce.number().int('must be unix seconds').min(0);
const prefixes = [...new Set(EVENT_TYPES.map((t) => `${t.split('.')[0]}.*`))];

export const listEventsQuery = z.strictObject({
  ...listQuery,
  type: z
    .enum([...EVENT_TYPES, ...prefixes] as [string, ...string[]])
    .optional()
    .meta({ description: 'An event type, or every type of an object with a prefix such as `order.*`' }),
  'created[gte]': unixTime.optional(),
  'created[gt]': unixTime.optional(),
  'created[lte]': unixTime.optional(),
  'created[lt]': unixTime.optional(),
});

export const eventType = z.enum(EVENT_TYPES as [string, ...string[]]).meta({
  id: 'EventType',
  description: EVENT_TYPES.map((t) => `\`${t}\`: ${EVENT_CATALOGUE[t].when}`).join('\n'),
});

export const event = z
  .object({
    id: z.string().meta({ example: 'evt_1042' }),
    object: z.literal('event'),
    type: eventType,
    created: z.number().int(),
    data: z.object({
      object: z.union([order, product]).meta({ description: 'The order (or, for product.* events, the product) when the event was dispatched' }),
      variant: orderVariant.unwrap().optional().meta({ description: 'For `product.variant_sold_out`: the variant that sold out' }),
    }),
  })
  .meta({ id: 'Event' });

export function registerEventPaths(r: OpenAPIRegistry): void {
  const sec = [{ apiKey: [] }];
  r.registerPath({
    method: 'get', path: '/v1/events', tags: ['Events'], summary: 'List your events, newest first', security: sec,
    request: { query: listEventsQuery },
    responses: { 200: { description: 'A page of events', content: { 'application/json': { schema: listOf(event, 'EventList') } } }, ...problemResponses(400, 401, 429) },
  });
  r.registerPath({
    method: 'get', path: '/v1/events/{id}', tags: ['Events'], summary: 'Retrieve an event', security: sec,
    request: { params: idParam('evt') },
    responses: { 200: { description: 'The event', content: { 'application/json': { schema: event } } }, ...problemResponses(401, 404, 429) },
  });
}
