import type { Db } from '../db/pool';
import { AppError, errors } from '../http/errors';
import { randomBase62 } from '../ids';
import type { SecretBox } from './secret-box';
import { newEndpointSecret } from './secret-box';
import { checkEndpointUrl, type UrlPolicy } from './url-policy';
import { countEndpoints, deleteEndpoint, findEndpoint, insertEndpoint, listEndpoints, updateEndpoint, type EndpointPatch, type EndpointRow } from './endpoints.repository';
import { listDeliveries, scheduleDeliveryNow } from './deliveries.repository';
import { MAX_ENDPOINTS_PER_MERCHANT } from './endpoints.schema';

export interface EndpointsDeps {
  db: Db;
  box: SecretBox;
  policy: UrlPolicy;
}

const urlRefused = (reason: string) =>
  new AppError(422, 'url_not_allowed', 'Endpoint URL not allowed', reason, { errors: [{ field: 'url', message: reason.replace(/^url /, '') }] });

/** Dedupe, and `*` alone stands for everything. */
const normaliseEvents = (events: string[]) => (events.includes('*') ? ['*'] : [...new Set(events)]);

export function createEndpointsService(d: EndpointsDeps) {
  async function allowedUrl(url: string): Promise<string> {
    const verdict = await checkEndpointUrl(url, d.policy);
    if (!verdict.ok) throw urlRefused(verdict.reason);
    return verdict.url.toString();
  }
  async function get(merchantId: string, id: string): Promise<EndpointRow> {
    const e = await findEndpoint(d.db, merchantId, id);
    if (!e) throw errors.notFound('webhook endpoint', id);
    return e;
  }

  return {
    get,
    list: (merchantId: string, page: { limit: number; startingAfter?: string }) => listEndpoints(d.db, merchantId, page),

    /** The plain secret is returned here and never again. */
    async create(merchantId: string, body: { url: string; enabled_events: string[]; description?: string | null }): Promise<{ endpoint: EndpointRow; secret: string }> {
      const url = await allowedUrl(body.url);
      if ((await countEndpoints(d.db, merchantId)) >= MAX_ENDPOINTS_PER_MERCHANT) {
        throw errors.conflict('endpoint_limit_reached', `A merchant can have at most ${MAX_ENDPOINTS_PER_MERCHANT} webhook endpoints; delete one first`);
      }
      const secret = newEndpointSecret();
      const endpoint = await insertEndpoint(d.db, {
        id: `we_${randomBase62(20)}`, merchant_id: merchantId, url, description: body.description ?? null,
        enabled_events: normaliseEvents(body.enabled_events), secret_box: d.box.seal(secret),
      });
      return { endpoint, secret };
    },

    async update(merchantId: string, id: string, body: { url?: string; enabled_events?: string[]; description?: string | null; disabled?: boolean }): Promise<EndpointRow> {
      await get(merchantId, id);
      const patch: EndpointPatch = {};
      if (body.url !== undefined) patch.url = await allowedUrl(body.url);
      if (body.enabled_events !== undefined) patch.enabled_events = normaliseEvents(body.enabled_events);
      if (body.description !== undefined) patch.description = body.description;
      if (body.disabled !== undefined) Object.assign(patch, { disabled: body.disabled, disabled_reason: null });
      if (!Object.keys(patch).length) return get(merchantId, id);
      return (await updateEndpoint(d.db, merchantId, id, patch)) ?? (await get(merchantId, id));
    },

    async remove(merchantId: string, id: string): Promise<void> {
      if (!(await deleteEndpoint(d.db, merchantId, id))) throw errors.notFound('webhook endpoint', id);
    },

    /** A new secret; the old one keeps signing (as a second v1) for `previousExpiresInS`. */
    async rollSecret(merchantId: string, id: string, previousExpiresInS: number): Promise<{ endpoint: EndpointRow; secret: string }> {
      const current = await get(merchantId, id);
      const secret = newEndpointSecret();
      const endpoint = await updateEndpoint(d.db, merchantId, id, {
        secret_box: d.box.seal(secret),
        previous_secret_box: previousExpiresInS > 0 ? current.secret_box : null,
        previous_secret_expires_at: previousExpiresInS > 0 ? new Date(Date.now() + previousExpiresInS * 1000) : null,
      });
      if (!endpoint) throw errors.notFound('webhook endpoint', id);
      return { endpoint, secret };
    },

    async deliveries(merchantId: string, id: string, page: { limit: number; startingAfter?: string }) {
      await get(merchantId, id);
      return listDeliveries(d.db, id, page);
    },

    async retryDelivery(merchantId: string, id: string, deliveryId: string) {
      const endpoint = await get(merchantId, id);
      if (endpoint.disabled) throw errors.conflict('endpoint_disabled', 'The endpoint is disabled; enable it (disabled: false) before retrying');
      const delivery = await scheduleDeliveryNow(d.db, id, deliveryId);
      if (!delivery) throw errors.notFound('webhook delivery', deliveryId);
      return delivery;
    },
  };
}
export type EndpointsService = ReturnType<typeof createEndpointsService>;
