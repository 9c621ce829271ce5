import type { RequestHandler, Router } from 'express';
import type { Ctx } from './context';
import type { Handler } from './api';
import { invalidRequest, resourceMissing } from './errors';
import { list, metadata, requiredStr, str, stringArray } from './params';
import type { WebhookDispatcher } from './webhooks';
import type { StoredEvent } from './events';
import type { StripeObject, WebhookEndpoint } from './store';

/** The secret is shown once, on create, as on Stripe. */
function withoutSecret(e: WebhookEndpoint): StripeObject {
  const { secret: _secret, ...rest } = e;
  return rest;
}

export function registerWebhookEndpoints(router: Router, ctx: Ctx, dispatcher: WebhookDispatcher, w: (h: Handler) => RequestHandler): void {
  router.post('/v1/webhook_endpoints', w(({ params }) => {
    const url = requiredStr(params, 'url');
    try {
      new URL(url);
    } catch {
      throw invalidRequest('Invalid URL: url must be a valid http(s) URL.', 'url', 'url_invalid');
    }
    const enabled = stringArray(params, 'enabled_events');
    if (enabled.length === 0) throw invalidRequest('Missing required param: enabled_events.', 'enabled_events', 'parameter_missing');
    return dispatcher.addEndpoint({ url, enabled_events: enabled, description: str(params, 'description') ?? null, metadata: metadata(params) ?? {} });
  }));

  router.get('/v1/webhook_endpoints', w(({ params }) => list(Array.from(dispatcher.endpoints.values(), withoutSecret), { url: '/v1/webhook_endpoints', params })));

  router.get('/v1/webhook_endpoints/:id', w(({ path }) => {
    const e = dispatcher.endpoints.get(path.id!);
    if (!e) throw resourceMissing('webhook endpoint', path.id!, 'id');
    return withoutSecret(e);
  }));

  router.post('/v1/webhook_endpoints/:id', w(({ params, path }) => {
    const e = dispatcher.endpoints.get(path.id!);
    if (!e) throw resourceMissing('webhook endpoint', path.id!, 'id');
    const url = str(params, 'url');
    if (url) e.url = url;
    const enabled = stringArray(params, 'enabled_events');
    if (enabled.length) e.enabled_events = enabled;
    const disabled = str(params, 'disabled');
    if (disabled !== undefined) e.status = disabled === 'true' ? 'disabled' : 'enabled';
    return withoutSecret(e);
  }));

  router.delete('/v1/webhook_endpoints/:id', w(({ path }) => {
    if (!dispatcher.deleteEndpoint(path.id!)) throw resourceMissing('webhook endpoint', path.id!, 'id');
    return { id: path.id, object: 'webhook_endpoint', deleted: true };
  }));

  const parse = (e: StoredEvent) => JSON.parse(e.json) as StripeObject;

  router.get('/v1/events', w(({ params }) => {
    const type = str(params, 'type');
    const types = stringArray(params, 'types');
    const matches = (t: string) => {
      if (types.length) return types.includes(t);
      if (!type) return true;
      // Stripe allows one trailing wildcard: `payment_intent.*`.
      return type.endsWith('*') ? t.startsWith(type.slice(0, -1)) : t === type;
    };
    const events = Array.from(ctx.events.all()).filter((e) => matches(e.type));
    const page = list(events.map((e) => ({ id: e.id, object: 'event', created: e.created, livemode: false as const, e })), { url: '/v1/events', params });
    return { ...page, data: page.data.map((x) => parse(x.e)) };
  }));

  router.get('/v1/events/:id', w(({ path }) => {
    const e = ctx.events.get(path.id!);
    if (!e) throw resourceMissing('event', path.id!, 'id');
    return parse(e);
  }));
}
