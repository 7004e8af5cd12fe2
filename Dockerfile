# Multi-stage build: compile with dev dependencies, ship only production ones.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY views ./views
COPY i18n ./i18n
COPY public ./public
USER node
EXPOSE 3000
# Also in the image: `node dist/migrate.js` (migrations) and `node dist/cli.js create-admin <user>`.
CMD ["node", "dist/main.js"]
