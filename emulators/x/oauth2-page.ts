import type { UserRecord } from './store';

/** Small self-contained HTML for the consent step: no external assets, works without JS. */

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

const STYLE = `body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#f5f8fa;color:#0f1419;margin:0}
main{max-width:32rem;margin:3rem auto;background:#fff;border:1px solid #cfd9de;border-radius:16px;padding:2rem}
h1{font-size:1.4rem;margin-top:0}fieldset{border:1px solid #cfd9de;border-radius:12px;padding:1rem;margin:1rem 0}
legend{font-weight:600;padding:0 .25rem}.choice{display:flex;gap:.5rem;align-items:center;padding:.35rem 0}
label{cursor:pointer}input[type=text]{font:inherit;padding:.4rem;border:1px solid #8b98a5;border-radius:6px;width:100%;box-sizing:border-box}
.actions{display:flex;gap:.75rem;margin-top:1.5rem}button{font:inherit;font-weight:600;border-radius:999px;padding:.6rem 1.4rem;cursor:pointer;border:1px solid #0f1419}
button.primary{background:#0f1419;color:#fff}button.secondary{background:#fff;color:#0f1419}
button:focus-visible,input:focus-visible{outline:3px solid #1d9bf0;outline-offset:2px}.note{color:#536471;font-size:.9rem}
.error{color:#b00020;border-left:4px solid #b00020;padding-left:.75rem}`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main>${body}</main></body>
</html>`;
}

export function errorPage(problems: string[]): string {
  return page('Authorization error · X emulator', `<h1>Something went wrong</h1>
<p class="error" role="alert">This authorization request cannot be completed:</p>
<ul>${problems.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul>
<p class="note">Local X emulator. Check the parameters your app sent to <code>/i/oauth2/authorize</code>.</p>`);
}

export function consentPage(opts: { clientId: string; scopes: string[]; users: UserRecord[]; action: string; error?: string }): string {
  const choices = opts.users.length
    ? `<fieldset><legend>Sign in as</legend>${opts.users
      .map((u, i) => `<div class="choice"><input type="radio" name="user_id" id="user-${escapeHtml(u.id)}" value="${escapeHtml(u.id)}"${i === 0 ? ' checked' : ''}><label for="user-${escapeHtml(u.id)}">${escapeHtml(u.name)} <span class="note">@${escapeHtml(u.username)}</span></label></div>`)
      .join('')}</fieldset>`
    : '<p class="note">There are no test accounts yet.</p>';
  return page('Authorize app · X emulator', `<h1>Authorize <strong>${escapeHtml(opts.clientId)}</strong> to access your account?</h1>
${opts.error ? `<p class="error" role="alert">${escapeHtml(opts.error)}</p>` : ''}
<p class="note">Local X emulator: choose the test account to sign in as.</p>
<p>This app will be able to:</p>
<ul>${opts.scopes.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ul>
<form method="post" action="${escapeHtml(opts.action)}">
${choices}
<p><label for="new_username">${opts.users.length ? 'Or create a new test account' : 'Create a test account'} (username)</label>
<input type="text" id="new_username" name="new_username" pattern="[A-Za-z0-9_]{1,15}" autocomplete="off"></p>
<div class="actions"><button class="primary" type="submit" name="action" value="authorize">Authorize app</button>
<button class="secondary" type="submit" name="action" value="cancel" formnovalidate>Cancel</button></div>
</form>`);
}
