import { defineConfig } from 'drizzle-kit';

// Migrations for the global database (`cdp_global`). Applied by `npm run migrate`.
export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema/global.ts',
  out: './db/migrations/global',
});
