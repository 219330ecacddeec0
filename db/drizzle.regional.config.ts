import { defineConfig } from 'drizzle-kit';

// Migrations applied to every region database (`cdp_eu`, `cdp_us`, …). Applied by `npm run migrate`.
export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema/regional.ts',
  out: './db/migrations/regional',
});
