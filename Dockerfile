# Meridian image: web, workers and scripts share it; docker-compose.yml picks the command.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# Dev dependencies stay: tsx runs the TypeScript sources; drizzle-kit's migrations run from db/.
RUN npm ci --include=dev --no-audit --no-fund
COPY . .
# Workflows are bundled once, here, and every worker loads the same bundle.
RUN npx tsx scripts/bundle-workflows.ts /app/workflow-bundle.js
ENV MERIDIAN_WORKFLOW_BUNDLE=/app/workflow-bundle.js
# The console (React + Vite) is built here too; the web server serves console/dist under /console.
RUN npx tsx scripts/console-build.ts --force
# The web server and the workers run compiled, not through tsx: less memory (scripts/server-bundle.ts).
RUN npx tsx scripts/server-bundle.ts web/main.ts workers/main.ts
USER node
# Node flags as in scripts/entry-point.ts (DEFAULT_NODE_FLAGS): the web heap stays near its live size.
CMD ["node", "--max-semi-space-size=4", "--heap-growing-percent=50", "--gc-memory-reducer-start-delay-ms=1000", ".build/web/main.cjs"]
