/** A tiny cookie jar over fetch: one per simulated browser, for buyer-page flows without Chromium. */
export function cookieBrowser(baseUrl: () => string) {
  const jar = new Map<string, string>();
  return {
    jar,
    async fetch(path: string, init: RequestInit = {}) {
      const res = await fetch(path.startsWith('http') ? path : `${baseUrl()}${path}`, {
        ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), Cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
      });
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const i = pair!.indexOf('=');
        jar.set(pair!.slice(0, i), pair!.slice(i + 1));
      }
      return res;
    },
    post(path: string, form: Record<string, string>) {
      return this.fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
    },
  };
}

export const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
