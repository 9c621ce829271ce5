import type { ErrorRequestHandler, Request, Response } from 'express';
import { AppError, errors } from './errors';
import { buyerErrorPage, isBuyerPath } from '../buyers/pages';

export const PROBLEM_TYPE_BASE = '/problems/';

/** Maps body-parser's errors (they carry `type` and `status`) onto the error family. */
function fromBodyParser(err: { type?: string; status?: number; message?: string; limit?: number }): AppError | null {
  switch (err.type) {
    case 'entity.parse.failed':
      return errors.malformedJson(`The body is not valid JSON: ${err.message ?? 'parse error'}`);
    case 'entity.too.large':
      return errors.payloadTooLarge(`${Math.round((err.limit ?? 102400) / 1024)} kB`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return errors.unsupportedMediaType(err.message);
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return errors.validation(err.message ?? 'The request body could not be read');
    default:
      return null;
  }
}

export function toAppError(err: unknown): AppError | null {
  if (err instanceof AppError) return err;
  if (!err || typeof err !== 'object') return null;
  if ('type' in err) {
    const mapped = fromBodyParser(err as never);
    if (mapped) return mapped;
  }
  // http-errors from Express itself (e.g. a path that is not valid percent-encoding) are the client's fault.
  const e = err as { status?: number; expose?: boolean; message?: string };
  if ((e.expose || err instanceof URIError) && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    return new AppError(e.status, 'bad_request', 'Bad request', e.message ?? 'Bad request');
  }
  return null;
}

export function sendProblem(req: Request, res: Response, err: AppError): void {
  for (const [k, v] of Object.entries(err.extra.headers ?? {})) res.setHeader(k, v);
  const { headers: _headers, ...extra } = err.extra;
  res
    .status(err.status)
    .type('application/problem+json')
    .send(
      JSON.stringify({
        type: `${PROBLEM_TYPE_BASE}${err.code}`,
        title: err.title,
        status: err.status,
        detail: err.detail,
        code: err.code,
        instance: req.originalUrl.split('?')[0],
        request_id: String(req.id ?? ''),
        ...extra,
      }),
    );
}

/** The one place errors become responses. */
export const problemHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const known = toAppError(err);
  if (res.headersSent) {
    req.log?.error({ err }, 'error after response started');
    res.destroy();
    return;
  }
  // Buyers get a page, never JSON or a stack trace, whichever router the error came from.
  if (isBuyerPath(req.originalUrl.split('?')[0]!)) return buyerErrorPage(err, known, req, res);
  if (known) {
    if (known.status >= 500) req.log?.warn({ code: known.code, detail: known.detail }, 'request failed');
    sendProblem(req, res, known);
    return;
  }
  req.log?.error({ err }, 'unhandled error');
  sendProblem(
    req,
    res,
    new AppError(500, 'internal_error', 'Internal server error', `Something went wrong on our side; quote request id ${String(req.id)} when reporting it`),
  );
};
