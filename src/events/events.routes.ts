import { Router } from 'express';
import type { Db } from '../db/pool';
import { merchantId } from '../http/auth';
import { errors } from '../http/errors';
import { parseQuery, pathId } from '../http/validate';
import { toPage } from '../http/pagination';
import { ALL_STORED_TYPES, rowIdOf, storedTypesFor } from './catalogue';
import { findEvent, listEvents } from './events.repository';
import { presentEvents } from './events.present';
import { listEventsQuery } from './events.schema';

const fromUnix = (s: number | undefined) => (s === undefined ? undefined : new Date(s * 1000));

/** Read side of the outbox: the merchant's own events, as their webhooks carry them. */
export function eventsRouter(db: Db): Router {
  const r = Router();
  r.get('/', async (req, res) => {
    const q = parseQuery(listEventsQuery, req.query);
    let startingAfter: string | undefined;
    if (q.starting_after !== undefined) {
      startingAfter = rowIdOf(q.starting_after);
      if (!startingAfter) throw errors.validation('query parameter starting_after: must be an event id', [{ field: 'starting_after', message: 'must be an event id' }]);
    }
    const gte = q['created[gte]'] ?? (q['created[gt]'] !== undefined ? q['created[gt]'] + 1 : undefined);
    const lt = q['created[lt]'] ?? (q['created[lte]'] !== undefined ? q['created[lte]'] + 1 : undefined);
    const rows = await listEvents(db, merchantId(req), {
      limit: q.limit,
      startingAfter,
      storedTypes: q.type ? storedTypesFor(q.type) : ALL_STORED_TYPES,
      createdGte: fromUnix(gte),
      createdLt: fromUnix(lt),
    });
    // Presenting reads the events' objects in two queries, so the page is presented as a whole.
    const data = await presentEvents(db, rows.slice(0, q.limit));
    res.json({ ...toPage(rows, q.limit, '/v1/events', () => null), data });
  });
  r.get('/:id', async (req, res) => {
    const id = pathId(req.params.id, 'evt', 'event');
    const rowId = rowIdOf(id);
    const row = rowId ? await findEvent(db, merchantId(req), rowId, ALL_STORED_TYPES) : undefined;
    if (!row) throw errors.notFound('event', id);
    res.json((await presentEvents(db, [row]))[0]);
  });
  return r;
}
