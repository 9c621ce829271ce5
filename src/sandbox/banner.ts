import type { Config } from '../config';

/** Where the operator token is: the variable the operator set, or the file it was generated into. Never the token. */
function operatorTokenHint(config: Config): string {
  return config.ADMIN_TOKEN_FROM_ENV ? 'operator token: the ADMIN_TOKEN you set' : `operator token in ${config.DATA_DIR}/admin-token`;
}

/** What `npm start` prints in sandbox mode: where everything is and how to post a purchase. */
export function sandboxBanner(config: Config): string {
  const base = `http://localhost:${config.PORT}`;
  const x = `http://127.0.0.1:${config.X_EMULATOR_PORT}`;
  return [
    '',
    'Sandbox mode: Stripe and X are local emulators; no real money moves.',
    `  API               ${base}  (${operatorTokenHint(config)})`,
    `  Stripe emulator   http://127.0.0.1:${config.STRIPE_EMULATOR_PORT}`,
    `  X emulator        ${x}  (shop account @${config.X_SHOP_USERNAME})`,
    'Post a purchase:',
    `  1. create a merchant and a product with #BuyBlueMug (see README)`,
    `  2. curl -s -X POST ${x}/_emulator/users -H 'Content-Type: application/json' -d '{"username":"alice"}'`,
    `  3. curl -s -X POST ${x}/_emulator/tweets -H 'Content-Type: application/json' \\`,
    `       -d '{"author_id":"<alice id>","text":"@${config.X_SHOP_USERNAME} #BuyBlueMug"}'`,
    `  4. curl -s "${x}/_emulator/tweets?in_reply_to_tweet_id=<post id>"   # the reply: a signup link`,
    '',
  ].join('\n');
}
