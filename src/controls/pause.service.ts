import type { Db } from '../db/pool';
import { withTransaction } from '../db/pool';
import { errors } from '../http/errors';
import type { InboundPost } from '../x/x.port';
import * as repo from './pause.repository';

export interface PauseDeps {
  db: Db;
  /** Hands reopened posts to the matcher (in post order); without it the maintenance sweep queues them from the inbox. */
  requeuePosts?: (posts: InboundPost[]) => Promise<void>;
}

export type PauseView = repo.PauseState & { scope: 'product' | 'operator'; product: string | null; resumed?: { action: 'process' | 'close'; count: number } };

/** The pause switch (issue 15): a merchant's per product, the operator's for every product. */
export function createPauseService(d: PauseDeps) {
  async function handOn(action: 'process' | 'close', posts: InboundPost[]): Promise<void> {
    // After commit: the inbox holds them already, so a failure here only delays them until the sweep.
    if (action === 'process' && posts.length) await d.requeuePosts?.(posts);
  }

  return {
    async pauseProduct(merchantId: string, productId: string, replies: boolean): Promise<PauseView> {
      const state = await repo.pauseProduct(d.db, merchantId, productId, replies);
      if (!state) throw errors.notFound('product', productId);
      return { ...state, scope: 'product', product: productId };
    },
    async productState(merchantId: string, productId: string): Promise<PauseView> {
      const state = await repo.productPauseState(d.db, merchantId, productId);
      if (!state) throw errors.notFound('product', productId);
      return { ...state, scope: 'product', product: productId };
    },
    async resumeProduct(merchantId: string, productId: string, action: 'process' | 'close'): Promise<PauseView> {
      const posts = await withTransaction(d.db, async (tx) => {
        const prev = await repo.unpauseProduct(tx, merchantId, productId);
        if (!prev) throw errors.notFound('product', productId);
        if (!prev.was_paused) throw errors.conflict('product_not_paused', `Product ${productId} is not paused`);
        return repo.resolvePausedPosts(tx, { productId }, action);
      });
      await handOn(action, posts);
      return { ...(await this.productState(merchantId, productId)), resumed: { action, count: posts.length } };
    },
    async pauseOperator(replies: boolean): Promise<PauseView> {
      return { ...(await repo.pauseOperator(d.db, replies)), scope: 'operator', product: null };
    },
    async operatorState(): Promise<PauseView> {
      return { ...(await repo.operatorPauseState(d.db)), scope: 'operator', product: null };
    },
    async resumeOperator(action: 'process' | 'close'): Promise<PauseView> {
      const posts = await withTransaction(d.db, async (tx) => {
        if (!(await repo.unpauseOperator(tx))) throw errors.conflict('not_paused', 'Sales are not paused by the operator');
        return repo.resolvePausedPosts(tx, 'operator', action);
      });
      await handOn(action, posts);
      return { ...(await this.operatorState()), resumed: { action, count: posts.length } };
    },
  };
}
export type PauseService = ReturnType<typeof createPauseService>;
