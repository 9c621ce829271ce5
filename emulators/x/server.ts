import express, { type NextFunction, type Request, type Response } from 'express';
import type { AuthConfig } from './auth';
import { controlRoutes } from './control';
import { filteredStreamRoutes } from './filtered-stream';
import { oauth2Routes } from './oauth2';
import { genericProblem, invalidRequest, routeNotFound } from './problems';
import { searchRoutes } from './search';
import type { EmulatorState } from './state';
import { tweetRoutes } from './tweets';
import { userRoutes } from './users';

export function createApp(state: EmulatorState): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  const auth: AuthConfig = {
    store: state.store,
    deadTokens: state.deadTokens,
    ...(state.bearerTokens ? { bearerTokens: state.bearerTokens } : {}),
    ...(state.consumerKey ? { consumerKey: state.consumerKey } : {}),
    ...(state.consumerSecret ? { consumerSecret: state.consumerSecret } : {}),
    origins: (req) => [`${req.protocol}://${req.headers.host ?? ''}`, state.publicUrl(), 'https://api.x.com', 'https://api.twitter.com'],
  };

  app.use(state.faults.middleware());
  app.use(controlRoutes(state));
  app.use(oauth2Routes(state));
  app.use('/2', express.json({ limit: '5mb' }), express.urlencoded({ extended: false }));
  app.use(filteredStreamRoutes(state, auth));
  app.use(searchRoutes(state, auth));
  app.use(tweetRoutes(state, auth));
  app.use(userRoutes(state, auth));

  app.use((req: Request, res: Response) => {
    if (req.path.startsWith('/2/')) return routeNotFound(res);
    res.status(404).json({ error: `no route for ${req.method} ${req.path}` });
  });

  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === 'entity.parse.failed') {
      if (req.path.startsWith('/_emulator')) return void res.status(400).json({ error: 'request body is not valid JSON' });
      return invalidRequest(res, [{ message: `Request body is not valid JSON: ${e.message ?? ''}` }]);
    }
    if (e.status && e.status >= 400 && e.status < 500) return void res.status(e.status).json(genericProblem(e.status));
    state.logger.error(`x-emulator: ${req.method} ${req.path} failed: ${(err as Error)?.stack ?? String(err)}`);
    res.status(500).json(genericProblem(500));
  });
  return app;
}
