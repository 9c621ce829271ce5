import { Router } from 'express';
import { stringify } from 'csv-stringify/sync';
import type { Db } from '../db/pool';
import { merchantId } from '../http/auth';
import { errors } from '../http/errors';
import { parseQuery } from '../http/validate';
import { salesFigures, type SalesFigures } from './reports.repository';
import { salesReportQuery } from './reports.schema';

export function presentSalesReport(f: SalesFigures, q: { product: string | null; gte: number | null; lt: number | null }) {
  return {
    object: 'sales_report' as const,
    product: q.product,
    created: { gte: q.gte, lt: q.lt },
    posts: { seen: f.posts_seen, by_outcome: f.posts_by_outcome, ignored_by_reason: f.ignored_by_reason },
    orders: { by_status: f.orders_by_status, units_sold: f.units_sold },
    // The platform's fee on destination charges (Stripe Connect); null where no charge was split.
    money: f.money.map((m) => ({
      currency: m.currency, gross: Number(m.gross), refunded: Number(m.refunded), net: Number(m.gross) - Number(m.refunded),
      platform_fee: m.platform_fee === null ? null : Number(m.platform_fee),
    })),
    signups: {
      links_sent: f.signup_links_sent,
      completed: f.signups_completed,
      conversion: f.signup_links_sent ? Math.round((f.signups_completed / f.signup_links_sent) * 10_000) / 10_000 : null,
    },
    median_seconds_post_to_paid: f.median_seconds,
  };
}

/** The report flattened for a spreadsheet: one figure a row. */
export function salesReportCsv(report: ReturnType<typeof presentSalesReport>): string {
  const rows: Array<[string, string, string | number]> = [['posts.seen', '', report.posts.seen]];
  for (const [k, n] of Object.entries(report.posts.by_outcome)) rows.push([`posts.outcome.${k}`, '', n]);
  for (const [k, n] of Object.entries(report.posts.ignored_by_reason)) rows.push([`posts.ignored.${k}`, '', n]);
  for (const [k, n] of Object.entries(report.orders.by_status)) rows.push([`orders.status.${k}`, '', n]);
  rows.push(['orders.units_sold', '', report.orders.units_sold]);
  for (const m of report.money) {
    rows.push(['money.gross', m.currency, m.gross], ['money.refunded', m.currency, m.refunded], ['money.net', m.currency, m.net], ['money.platform_fee', m.currency, m.platform_fee ?? '']);
  }
  rows.push(['signups.links_sent', '', report.signups.links_sent], ['signups.completed', '', report.signups.completed], ['signups.conversion', '', report.signups.conversion ?? '']);
  rows.push(['median_seconds_post_to_paid', '', report.median_seconds_post_to_paid ?? '']);
  return stringify(rows, { header: true, columns: ['metric', 'currency', 'value'] });
}

export function reportsRouter(db: Db): Router {
  const r = Router();
  r.get('/sales', async (req, res) => {
    const q = parseQuery(salesReportQuery, req.query);
    const owner = merchantId(req);
    if (q.product) {
      const { rowCount } = await db.query('SELECT 1 FROM products WHERE id = $1 AND merchant_id = $2', [q.product, owner]);
      if (!rowCount) throw errors.notFound('product', q.product);
    }
    const gte = q['created[gte]'] ?? null;
    const lt = q['created[lt]'] ?? null;
    const figures = await salesFigures(db, owner, {
      productId: q.product, from: gte === null ? undefined : new Date(gte * 1000), until: lt === null ? undefined : new Date(lt * 1000),
    });
    const report = presentSalesReport(figures, { product: q.product ?? null, gte, lt });
    if (req.accepts(['application/json', 'text/csv']) === 'text/csv') {
      res.type('text/csv').setHeader('Content-Disposition', 'attachment; filename="sales-report.csv"');
      return void res.send(salesReportCsv(report));
    }
    res.json(report);
  });
  return r;
}
