import type { Ctx, RequestInfo } from './context';
import { ApiError, docUrl, invalidRequest } from './errors';
import { newId, nowSeconds } from './ids';
import { asParams, int, str, type Params } from './params';
import { credit, debit } from './ledger';
import type { ApplicationFee, Charge, PaymentIntent, Refund, Transfer } from './store';

/** The Connect fields a PaymentIntent carries (null on a plain platform charge). */
export interface ConnectFields {
  transfer_data: { destination: string; amount?: number } | null;
  application_fee_amount: number | null;
  on_behalf_of: string | null;
  transfer_group: string | null;
}

function chargeableDestination(ctx: Ctx, id: string, param: string): void {
  const account = ctx.store.accounts.get(id);
  if (!account) throw invalidRequest(`No such destination: '${id}'`, param, 'resource_missing');
  if (!account.charges_enabled || account.capabilities.transfers !== 'active') {
    throw invalidRequest(
      'Your destination account needs to have at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments',
      param,
      'insufficient_capabilities_for_transfer',
    );
  }
}

/** Validates `transfer_data`, `application_fee_amount` and `on_behalf_of` of a PaymentIntent create. */
export function connectParams(ctx: Ctx, params: Params, amount: number): ConnectFields {
  const td = params.transfer_data === undefined || params.transfer_data === '' ? null : asParams(params.transfer_data);
  const fee = int(params, 'application_fee_amount');
  const onBehalfOf = str(params, 'on_behalf_of') || null;
  let transferData: ConnectFields['transfer_data'] = null;
  if (td) {
    const destination = str(td, 'destination');
    if (!destination) throw invalidRequest('Missing required param: transfer_data[destination].', 'transfer_data[destination]', 'parameter_missing');
    chargeableDestination(ctx, destination, 'transfer_data[destination]');
    transferData = { destination };
    const transferAmount = int(td, 'amount', 'transfer_data[amount]');
    if (transferAmount !== undefined) {
      if (fee !== undefined) throw invalidRequest('You cannot specify both `application_fee_amount` and `transfer_data[amount]`.', 'application_fee_amount');
      if (transferAmount < 0 || transferAmount > amount) throw invalidRequest('The transfer amount must be between 0 and the amount of the payment.', 'transfer_data[amount]');
      transferData.amount = transferAmount;
    }
  }
  if (onBehalfOf) {
    if (!ctx.store.accounts.has(onBehalfOf)) throw invalidRequest(`No such account: '${onBehalfOf}'`, 'on_behalf_of', 'resource_missing');
    if (transferData && transferData.destination !== onBehalfOf) throw invalidRequest('The `on_behalf_of` account must be the same as `transfer_data[destination]`.', 'on_behalf_of');
  }
  if (fee !== undefined) {
    if (!transferData) {
      throw invalidRequest(
        'Can only apply an application_fee_amount when the PaymentIntent is attempting a direct payment (using an OAuth key or Stripe-Account header) or destination payment (using `transfer_data[destination]`).',
        'application_fee_amount',
      );
    }
    if (fee < 0) throw invalidRequest('This value must be greater than or equal to 0.', 'application_fee_amount');
    if (fee > amount) throw invalidRequest(`The application fee (${fee}) cannot be greater than the amount of the payment (${amount}).`, 'application_fee_amount');
  }
  return { transfer_data: transferData, application_fee_amount: fee ?? null, on_behalf_of: onBehalfOf, transfer_group: null };
}

/** A later amount change must still leave room for the fee. */
export function checkFeeWithin(pi: PaymentIntent, amount: number): void {
  const fee = pi.application_fee_amount as number | null;
  if (fee !== null && fee > amount) throw invalidRequest(`The application fee (${fee}) cannot be greater than the amount of the payment (${amount}).`, 'amount');
}

function emptyList(url: string) {
  return { object: 'list' as const, data: [], has_more: false, total_count: 0, url };
}

/**
 * What a succeeded destination charge does on Stripe: the platform's charge funds a transfer of
 * the whole amount (or `transfer_data[amount]`) to the connected account, which then pays the
 * application fee back to the platform. The merchant nets amount − fee; the platform keeps the fee.
 * A plain charge just credits the platform.
 */
export function settleCharge(ctx: Ctx, pi: PaymentIntent, charge: Charge, info: RequestInfo | null): void {
  credit(ctx, null, charge.currency, charge.amount);
  const td = pi.transfer_data as ConnectFields['transfer_data'];
  if (!td) return;
  const group = (pi.transfer_group as string | null) ?? `group_${pi.id}`;
  pi.transfer_group = group;
  const created = nowSeconds();
  const transferAmount = td.amount ?? charge.amount;
  const destinationPayment = newId('py_');
  const transfer: Transfer = {
    id: newId('tr_'),
    object: 'transfer',
    amount: transferAmount,
    amount_reversed: 0,
    balance_transaction: newId('txn_'),
    created,
    currency: charge.currency,
    description: null,
    destination: td.destination,
    destination_payment: destinationPayment,
    livemode: false,
    metadata: {},
    reversals: emptyList(''),
    reversed: false,
    source_transaction: charge.id,
    source_type: 'card',
    transfer_group: group,
  };
  transfer.reversals.url = `/v1/transfers/${transfer.id}/reversals`;
  ctx.store.transfers.set(transfer.id, transfer);
  debit(ctx, null, charge.currency, transferAmount);
  credit(ctx, td.destination, charge.currency, transferAmount);
  Object.assign(charge, { destination: td.destination, transfer: transfer.id, transfer_data: { amount: td.amount ?? null, destination: td.destination }, transfer_group: group, on_behalf_of: pi.on_behalf_of ?? null, application_fee_amount: pi.application_fee_amount ?? null });
  ctx.events.emit('transfer.created', transfer, info);
  const feeAmount = pi.application_fee_amount as number | null;
  if (feeAmount === null || feeAmount === 0) return;
  const fee: ApplicationFee = {
    id: newId('fee_'),
    object: 'application_fee',
    account: td.destination,
    amount: feeAmount,
    amount_refunded: 0,
    application: 'ca_emulator_platform',
    balance_transaction: newId('txn_'),
    charge: destinationPayment,
    created,
    currency: charge.currency,
    fee_source: { charge: charge.id, type: 'charge' },
    livemode: false,
    originating_transaction: charge.id,
    refunded: false,
    refunds: emptyList(''),
  };
  fee.refunds.url = `/v1/application_fees/${fee.id}/refunds`;
  ctx.store.applicationFees.set(fee.id, fee);
  debit(ctx, td.destination, charge.currency, feeAmount);
  credit(ctx, null, charge.currency, feeAmount);
  charge.application_fee = fee.id;
  ctx.events.emit('application_fee.created', fee, info);
}

/**
 * The share of `total` that goes with this refund: rounded half up, except that the refund which
 * completes the charge takes whatever is left, so a full refund in parts reverses exactly.
 */
export function proportionalShare(total: number, alreadyReturned: number, refundAmount: number, charge: Charge): number {
  const completes = charge.amount_refunded >= charge.amount;
  const share = completes ? total - alreadyReturned : Math.round((total * refundAmount) / charge.amount);
  return Math.max(0, Math.min(share, total - alreadyReturned));
}

export interface RefundConnectOptions {
  reverseTransfer: boolean;
  refundApplicationFee: boolean;
}

/** Refund side of a charge: the platform pays it; on request the transfer is reversed and the fee refunded in proportion. Call after amount_refunded is updated. */
export function settleRefundMoney(ctx: Ctx, charge: Charge, refund: Refund, opts: RefundConnectOptions, info: RequestInfo | null): void {
  debit(ctx, null, charge.currency, refund.amount);
  const transfer = typeof charge.transfer === 'string' ? ctx.store.transfers.get(charge.transfer) : undefined;
  if (transfer && opts.reverseTransfer) {
    const amount = proportionalShare(transfer.amount, transfer.amount_reversed, refund.amount, charge);
    if (amount > 0) {
      const reversal = {
        id: newId('trr_'),
        object: 'transfer_reversal',
        amount,
        balance_transaction: newId('txn_'),
        created: nowSeconds(),
        currency: transfer.currency,
        destination_payment_refund: newId('pyr_'),
        livemode: false as const,
        metadata: {},
        source_refund: refund.id,
        transfer: transfer.id,
      };
      transfer.reversals.data.unshift(reversal);
      transfer.reversals.total_count++;
      transfer.amount_reversed += amount;
      transfer.reversed = transfer.amount_reversed >= transfer.amount;
      refund.transfer_reversal = reversal.id;
      debit(ctx, transfer.destination, transfer.currency, amount);
      credit(ctx, null, transfer.currency, amount);
      ctx.events.emit('transfer.reversed', transfer, info);
    }
  }
  const fee = typeof charge.application_fee === 'string' ? ctx.store.applicationFees.get(charge.application_fee) : undefined;
  if (fee && opts.refundApplicationFee) {
    const amount = proportionalShare(fee.amount, fee.amount_refunded, refund.amount, charge);
    if (amount > 0) {
      const feeRefund = { id: newId('fr_'), object: 'fee_refund', amount, balance_transaction: newId('txn_'), created: nowSeconds(), currency: fee.currency, fee: fee.id, livemode: false as const, metadata: {} };
      fee.refunds.data.unshift(feeRefund);
      fee.refunds.total_count++;
      fee.amount_refunded += amount;
      fee.refunded = fee.amount_refunded >= fee.amount;
      debit(ctx, null, fee.currency, amount);
      credit(ctx, fee.account, fee.currency, amount);
      ctx.events.emit('application_fee.refunded', fee, info);
    }
  }
}

export function balanceInsufficient(): ApiError {
  return new ApiError(400, {
    type: 'invalid_request_error',
    code: 'balance_insufficient',
    doc_url: docUrl('balance_insufficient'),
    message: 'You have insufficient funds in your Stripe account for this transfer. Your card balance is too low. You can use the /v1/balance endpoint to view your Stripe balance (for more details, see stripe.com/docs/api#balance).',
  });
}
