import { z } from 'zod';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { listQuery } from '../http/pagination';
import { idParam, jsonBody, listOf, problemResponses } from '../http/openapi-helpers';
import { plainText } from '../http/text';

export const addBlockBody = z
  .strictObject({
    x_user_id: z.string().regex(/^[1-9][0-9]{0,18}$/, 'must be an X user id (digits)').optional()
      .meta({ description: 'The account to block: its X user id (the identity; handles change)', example: '1600000000000000001' }),
    handle: z.string().regex(/^@?[A-Za-z0-9_]{1,15}$/, 'must be an X handle (1-15 letters, digits or underscores)').optional()
      .meta({ description: 'Or its handle, resolved once to the user id through X; the id is what is kept', example: '@reseller99' }),
    note: plainText(z.string().trim().max(500, 'must be at most 500 characters'), { multiline: true }).optional()
      .meta({ description: 'For your own records; never posted' }),
  })
  .refine((b) => (b.x_user_id === undefined) !== (b.handle === undefined), { message: 'give exactly one of x_user_id and handle', path: ['x_user_id'] });
export type AddBlock = z.infer<typeof addBlockBody>;

export const listBlocksQuery = z.strictObject({ ...listQuery });

export const blockedAccount = z
  .object({
    id: z.string().meta({ example: 'blk_4Bq9Zt2cW1xYk8LmN0pQ' }),
    object: z.literal('blocked_account'),
    scope: z.enum(['merchant', 'operator']).meta({ description: "'operator': blocked for every merchant" }),
    x_user_id: z.string(),
    x_username: z.string().nullable().meta({ description: 'The handle given when it was added (informational)' }),
    note: z.string().nullable(),
    created: z.number().int(),
    canceled_orders: z.array(z.string()).optional()
      .meta({ description: 'On add: the orders this account had waiting (no money taken) that were canceled, their units freed' }),
  })
  .meta({ id: 'BlockedAccount' });

export const deletedBlock = z.object({ id: z.string(), object: z.literal('blocked_account'), deleted: z.literal(true) }).meta({ id: 'DeletedBlockedAccount' });

export function registerBlocklistPaths(r: OpenAPIRegistry): void {
  const lists: Array<[string, Array<Record<string, string[]>>, string]> = [
    ['/v1/blocklist', [{ apiKey: [] }], 'your products'],
    ['/v1/operator/blocklist', [{ adminToken: [] }], "every merchant's products (operator)"],
  ];
  for (const [base, security, who] of lists) {
    const tags = ['Blocklist'];
    r.registerPath({
      method: 'post', path: base, tags, security,
      summary: `Block an X account from buying ${who}: its posts are recorded as ignored (reason blocked) with no reply, and its waiting orders are canceled`,
      request: { body: jsonBody(addBlockBody) },
      responses: {
        201: { description: 'Blocked', content: { 'application/json': { schema: blockedAccount } } },
        200: { description: 'Already blocked: the existing entry', content: { 'application/json': { schema: blockedAccount } } },
        ...problemResponses(400, 401, 404, 422, 429, 503),
      },
    });
    r.registerPath({
      method: 'get', path: base, tags, security, summary: 'List blocked accounts, newest first',
      request: { query: listBlocksQuery },
      responses: { 200: { description: 'A page of blocked accounts', content: { 'application/json': { schema: listOf(blockedAccount, 'BlockedAccountList') } } }, ...problemResponses(400, 401, 429) },
    });
    r.registerPath({
      method: 'delete', path: `${base}/{id}`, tags, security, summary: 'Unblock an account (orders canceled meanwhile stay canceled)',
      request: { params: idParam('blk') },
      responses: { 200: { description: 'Unblocked', content: { 'application/json': { schema: deletedBlock } } }, ...problemResponses(401, 404, 429) },
    });
  }
}
