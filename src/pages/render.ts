import path from 'node:path';
import fs from 'node:fs';
import { Eta } from 'eta';
import { Router, type Response } from 'express';

const eta = new Eta({ views: path.resolve(__dirname, 'views'), autoEscape: true, cache: process.env.NODE_ENV === 'production' });

/** Buyer pages: server-rendered, auto-escaped, no external assets, never cached (they can be personal). */
export function renderPage(res: Response, status: number, view: string, data: Record<string, unknown>): void {
  res.setHeader('Cache-Control', 'no-store');
  res.status(status).type('html').send(eta.render(view, { title: 'Hashtag Checkout', ...data }));
}

const ASSETS: Record<string, { type: string; body: Buffer }> = {
  'app.css': { type: 'text/css', body: fs.readFileSync(path.resolve(__dirname, 'assets/app.css')) },
  'status.js': { type: 'text/javascript', body: fs.readFileSync(path.resolve(__dirname, 'assets/status.js')) },
};

export function assetsRouter(): Router {
  const r = Router();
  r.get('/assets/:name', (req, res, next) => {
    const asset = ASSETS[String(req.params.name)];
    if (!asset) return next();
    res.type(asset.type).setHeader('Cache-Control', 'public, max-age=3600');
    res.send(asset.body);
  });
  return r;
}
