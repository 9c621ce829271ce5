import { Router, type Response } from 'express';
import { merchantId } from '../http/auth';
import { parseBody, parseQuery, pathId } from '../http/validate';
import { shownOnce } from '../http/idempotency';
import { toPage } from '../http/pagination';
import { unix } from '../http/time';
import { eventId } from '../events/catalogue';
import type { EndpointRow } from './endpoints.repository';
import type { DeliveryRow } from './deliveries.repository';
import type { EndpointsService } from './endpoints.service';
import { createEndpointBody, listEndpointsQuery, rollSecretBody, updateEndpointBody } from './endpoints.schema';

export const presentEndpoint = (e: EndpointRow) => ({
  id: e.id,
  object: 'webhook_endpoint' as const,
  url: e.url,
  description: e.description,
  enabled_events: e.enabled_events,
  disabled: e.disabled,
  disabled_reason: e.disabled_reason,
  previous_secret_expires: e.previous_secret_box ? unix(e.previous_secret_expires_at) : null,
  created: unix(e.created_at)!,
  updated: unix(e.updated_at)!,
});

export const presentDelivery = (d: DeliveryRow) => ({
  id: d.id,
  object: 'webhook_delivery' as const,
  endpoint: d.endpoint_id,
  event: eventId(d.event_id),
  event_type: d.event_type,
  status: d.status,
  attempts: d.attempts,
  response_status_code: d.last_status_code,
  latency_ms: d.last_latency_ms,
  last_error: d.last_error,
  last_attempt: unix(d.last_attempt_at),
  next_retry: d.status === 'pending' ? unix(d.next_attempt_at) : null,
  created: unix(d.created_at)!,
});

/** The secret leaves once: the copy kept for idempotent replays has it as null (see idempotency.ts). */
function sendWithSecret(res: Response, status: number, endpoint: EndpointRow, secret: string) {
  shownOnce(res, ['secret']);
  res.status(status).json({ ...presentEndpoint(endpoint), secret });
}

export function webhookEndpointsRouter(service: EndpointsService): Router {
  const r = Router();
  const id = (value: string | undefined) => pathId(value, 'we', 'webhook endpoint');
  r.post('/', async (req, res) => {
    const body = parseBody(createEndpointBody, req.body);
    const { endpoint, secret } = await service.create(merchantId(req), body);
    sendWithSecret(res, 201, endpoint, secret);
  });
  r.get('/', async (req, res) => {
    const q = parseQuery(listEndpointsQuery, req.query);
    const rows = await service.list(merchantId(req), { limit: q.limit, startingAfter: q.starting_after });
    res.json(toPage(rows, q.limit, '/v1/webhook_endpoints', presentEndpoint));
  });
  r.get('/:id', async (req, res) => {
    res.json(presentEndpoint(await service.get(merchantId(req), id(req.params.id))));
  });
  r.patch('/:id', async (req, res) => {
    const body = parseBody(updateEndpointBody, req.body);
    res.json(presentEndpoint(await service.update(merchantId(req), id(req.params.id), body)));
  });
  r.delete('/:id', async (req, res) => {
    const endpointId = id(req.params.id);
    await service.remove(merchantId(req), endpointId);
    res.json({ id: endpointId, object: 'webhook_endpoint', deleted: true });
  });
  r.post('/:id/roll_secret', async (req, res) => {
    const body = parseBody(rollSecretBody, req.body);
    const { endpoint, secret } = await service.rollSecret(merchantId(req), id(req.params.id), body.previous_secret_expires_in);
    sendWithSecret(res, 200, endpoint, secret);
  });
  r.get('/:id/deliveries', async (req, res) => {
    const endpointId = id(req.params.id);
    const q = parseQuery(listEndpointsQuery, req.query);
    const rows = await service.deliveries(merchantId(req), endpointId, { limit: q.limit, startingAfter: q.starting_after });
    res.json(toPage(rows, q.limit, `/v1/webhook_endpoints/${endpointId}/deliveries`, presentDelivery));
  });
  r.post('/:id/deliveries/:deliveryId/retry', async (req, res) => {
    const delivery = await service.retryDelivery(merchantId(req), id(req.params.id), pathId(req.params.deliveryId, 'wd', 'webhook delivery'));
    res.json(presentDelivery(delivery));
  });
  return r;
}
