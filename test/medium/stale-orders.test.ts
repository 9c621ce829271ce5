import { startMoneyKit, type MoneyKit } from './kit';

// Orders waiting on a buyer who never comes back (no card linked, no address given) expire once
// the signup time has passed: the maintenance sweep expires them and their unit goes back on
// sale. Orders still within their time are left alone. (requires_action's deadline is in
// requires-action.test.ts.)
let kit: MoneyKit;

beforeAll(async () => {
  kit = await startMoneyKit();
}, 60_000);
afterAll(() => kit.close());

const US = { name: 'Ann Lee', phone: null, line1: '1 Main St', line2: null, city: 'Austin', state: 'TX', postal_code: '73301', country: 'US' };
const remaining = async (productId: string) => (await kit.get<{ inventory_remaining: number }>(`/v1/products/${productId}`)).inventory_remaining;
/** Time passes for these orders: they were placed a day and an hour ago. */
const placedLongAgo = (orderIds: string[]) => kit.rt.db.query(`UPDATE orders SET created_at = now() - interval '25 hours' WHERE id = ANY($1)`, [orderIds]);

describe('stale orders', () => {
  it('an order waiting for an address and one waiting for a signup expire; the held unit goes to the next buyer', async () => {
    const productId = await kit.product('BuyStaleStool', { inventory: 1, shipping: 'required', shipping_countries: ['US'], waitlist: false });
    // A linked buyer without an address: the order holds the one unit while it asks for one.
    const noAddress = await kit.buyer('stale_noaddress');
    const heldPost = await kit.post(noAddress, '@shop #BuyStaleStool');
    // A stranger: the order waits for a signup, no unit held.
    const stranger = kit.x.createUser({ username: 'stale_stranger' });
    const signupPost = await kit.post(stranger, '@shop #BuyStaleStool');
    await kit.settle();
    const [held] = await kit.ordersOfPost(heldPost);
    const [signup] = await kit.ordersOfPost(signupPost);
    expect(held).toMatchObject({ status: 'awaiting_details' });
    expect(signup).toMatchObject({ status: 'awaiting_signup' });
    expect(await remaining(productId)).toBe(0);
    // Another buyer, with an address, finds it sold out meanwhile.
    const rival = await kit.buyer('stale_rival');
    await kit.rt.buyers.saveAddress(rival.id, rival.username, US);
    const tooEarly = await kit.post(rival, '@shop #BuyStaleStool');
    await kit.settle();
    expect(await kit.ordersOfPost(tooEarly)).toMatchObject([{ status: 'sold_out' }]);

    // Only a sweep within the time: nothing expires.
    await kit.sweepAfterDelay();
    expect(await kit.get(`/v1/orders/${held!.id}`)).toMatchObject({ status: 'awaiting_details' });

    await placedLongAgo([held!.id as string, signup!.id as string]);
    const fresh = await kit.post(kit.x.createUser({ username: 'stale_newcomer' }), '@shop #BuyStaleStool');
    await kit.settle();
    await kit.sweepAfterDelay();
    await kit.settle();

    expect(await kit.get(`/v1/orders/${held!.id}`)).toMatchObject({ status: 'expired', failure_code: 'address_not_given' });
    expect(await kit.get(`/v1/orders/${signup!.id}`)).toMatchObject({ status: 'expired', failure_code: 'signup_not_completed' });
    expect(await kit.ordersOfPost(fresh)).toMatchObject([{ status: 'awaiting_signup' }]); // its day is not over
    expect(await remaining(productId)).toBe(1);
    const events = (await kit.get<{ data: Array<{ type: string; data: { object: { id: string } } }> }>('/v1/events?type=order.expired&limit=100')).data;
    expect(events.map((e) => e.data.object.id).sort()).toEqual([held!.id, signup!.id].sort());

    // The freed unit sells to the next buyer who posts.
    const second = await kit.post(rival, '@shop #BuyStaleStool again');
    await kit.settle();
    expect(await kit.ordersOfPost(second)).toMatchObject([{ status: 'paid' }]);
    expect(await remaining(productId)).toBe(0);
  });
});
