import type { Queryable } from '../db/pool';
import type { ChargeSplit } from '../payments/payments.port';
import { effectiveRule, platformFee, type FeeRule } from './platform-fee';

interface SplitRow {
  id: string;
  amount: string | number;
  currency: string;
  split_decided: boolean;
  transfer_destination: string | null;
  application_fee_amount: string | number | null;
  stripe_account_id: string | null;
  charges_enabled: boolean;
  fee_bps: number | null;
  fee_fixed: Record<string, number> | null;
}

/**
 * Decides, once per order, where its money goes: to the merchant's connected account less the
 * platform's fee (a destination charge) when Stripe lets that account take charges, else it
 * stays on the platform. The decision is written on the order at the first charge attempt and
 * read back on every retry, because Stripe refuses an idempotency key reused with other
 * parameters (the merchant's account or fee may change between two attempts).
 */
export function createChargeSplitter(db: Queryable, platform: FeeRule) {
  const read = async (orderIds: string[]) =>
    (await db.query<SplitRow>(
      `SELECT o.id, o.amount, o.currency, o.split_decided, o.transfer_destination, o.application_fee_amount,
              m.stripe_account_id, m.charges_enabled, m.fee_bps, m.fee_fixed
       FROM orders o JOIN merchants m ON m.id = o.merchant_id WHERE o.id = ANY($1)`,
      [orderIds],
    )).rows;

  const splitOf = (row: SplitRow): ChargeSplit | null =>
    row.transfer_destination ? { destination: row.transfer_destination, applicationFee: Number(row.application_fee_amount ?? 0) } : null;

  return {
    async decide(orderIds: string[]): Promise<Map<string, ChargeSplit | null>> {
      if (!orderIds.length) return new Map();
      const rows = await read(orderIds);
      const undecided = rows.filter((r) => !r.split_decided);
      if (undecided.length) {
        const decided = undecided.map((r) => {
          const to = r.charges_enabled && r.stripe_account_id ? r.stripe_account_id : null;
          const fee = to ? platformFee(Number(r.amount), r.currency.trim(), effectiveRule(platform, { bps: r.fee_bps, fixed: r.fee_fixed })) : null;
          return { id: r.id, to, fee };
        });
        // A concurrent attempt that decided first wins: its split is what Stripe saw. The rows this
        // statement decided come back with it; only one decided by that other attempt is read again.
        const { rows: written } = await db.query<Pick<SplitRow, 'id' | 'transfer_destination' | 'application_fee_amount'>>(
          `UPDATE orders SET split_decided = true, transfer_destination = x.destination, application_fee_amount = x.fee
           FROM unnest($1::text[], $2::text[], $3::bigint[]) AS x(id, destination, fee)
           WHERE orders.id = x.id AND NOT orders.split_decided
           RETURNING orders.id, orders.transfer_destination, orders.application_fee_amount`,
          [decided.map((s) => s.id), decided.map((s) => s.to), decided.map((s) => s.fee)],
        );
        const byId = new Map(rows.map((r) => [r.id, r]));
        for (const w of written) byId.set(w.id, { ...byId.get(w.id)!, ...w, split_decided: true });
        const writtenIds = new Set(written.map((w) => w.id));
        const raced = undecided.filter((r) => !writtenIds.has(r.id)).map((r) => r.id);
        if (raced.length) for (const r of await read(raced)) byId.set(r.id, r);
        return new Map([...byId.values()].map((r) => [r.id, splitOf(r)]));
      }
      return new Map(rows.map((r) => [r.id, splitOf(r)]));
    },

    /** The transfer each destination charge made, once Stripe named it. */
    async recordTransfers(entries: Array<{ orderId: string; transferId: string }>): Promise<void> {
      if (!entries.length) return;
      await db.query(
        `UPDATE orders SET transfer_id = x.transfer_id FROM unnest($1::text[], $2::text[]) AS x(id, transfer_id)
         WHERE orders.id = x.id AND orders.transfer_id IS NULL`,
        [entries.map((e) => e.orderId), entries.map((e) => e.transferId)],
      );
    },
  };
}
export type ChargeSplitter = ReturnType<typeof createChargeSplitter>;
