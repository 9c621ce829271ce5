-- Shipping addresses (issue 11, section 1). Products say whether they ship and where; a buyer's
-- address lives on the Stripe customer and here (what orders need); an order for a shipped
-- product keeps the address it was bought with, so a later change never rewrites a past order.

-- Products created before this feature keep selling as they did, without asking buyers for an
-- address (a merchant who wants one sets shipping = 'required'). New products get the API's
-- default, 'required', which the repository always writes explicitly.
ALTER TABLE products ADD COLUMN shipping text NOT NULL DEFAULT 'none' CHECK (shipping IN ('required', 'none'));
-- ISO 3166-1 alpha-2 codes, upper case; NULL ships anywhere.
ALTER TABLE products ADD COLUMN shipping_countries text[];

-- {name, phone, address: {line1, line2, city, state, postal_code, country}}: Stripe's shape.
ALTER TABLE buyers ADD COLUMN shipping jsonb;
ALTER TABLE orders ADD COLUMN shipping jsonb;

-- An order can wait for the buyer's address (missing, or outside the product's countries): the
-- status `awaiting_details` is in the check that 011 made from src/orders/lifecycle.ts.
