import type { Response } from 'express';

/** X API v2 error bodies, as X sends them (problem-ish JSON with application/json). */

export function sendProblem(res: Response, status: number, body: Record<string, unknown>): void {
  res.status(status).json(body);
}

export function unauthorized(res: Response): void {
  sendProblem(res, 401, { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' });
}

export function forbidden(res: Response, detail: string): void {
  sendProblem(res, 403, { detail, type: 'about:blank', title: 'Forbidden', status: 403 });
}

export function unsupportedAuth(res: Response, appOnlyUsed: boolean): void {
  sendProblem(res, 403, {
    title: 'Unsupported Authentication',
    detail: appOnlyUsed
      ? 'Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].'
      : 'Authenticating with OAuth 2.0 User Context is forbidden for this endpoint.  Supported authentication types are [OAuth 2.0 Application-Only].',
    type: 'https://api.twitter.com/2/problems/unsupported-authentication',
    status: 403,
  });
}

export function tooManyRequests(res: Response): void {
  sendProblem(res, 429, { title: 'Too Many Requests', detail: 'Too Many Requests', type: 'about:blank', status: 429 });
}

/** 400 with X's invalid-request shape; `errors` lists each bad parameter. */
export function invalidRequest(res: Response, errors: Array<{ parameter?: string; value?: string; message: string }>): void {
  sendProblem(res, 400, {
    errors: errors.map((e) => (e.parameter ? { parameters: { [e.parameter]: [e.value ?? ''] }, message: e.message } : { message: e.message })),
    title: 'Invalid Request',
    detail: 'One or more parameters to your request was invalid.',
    type: 'https://api.twitter.com/2/problems/invalid-request',
  });
}

export function notFoundError(resourceType: 'user' | 'tweet', parameter: string, value: string): Record<string, unknown> {
  const what = resourceType === 'user' ? 'user' : 'tweet';
  return {
    value,
    detail: `Could not find ${what} with ${parameter}: [${value}].`,
    title: 'Not Found Error',
    resource_type: resourceType,
    parameter,
    resource_id: value,
    type: 'https://api.twitter.com/2/problems/resource-not-found',
  };
}

const STATUS_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** Body for an injected fault of the given status. */
export function genericProblem(status: number): Record<string, unknown> {
  const title = STATUS_TITLES[status] ?? 'Error';
  return { title, detail: title, type: 'about:blank', status };
}

/** Express 404 for unknown /2 paths, as X answers them. */
export function routeNotFound(res: Response): void {
  sendProblem(res, 404, {
    errors: [{ message: 'Sorry, that page does not exist', code: 34 }],
  });
}
