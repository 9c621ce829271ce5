# One image, several roles: the command picks api, worker or ingest.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json main.ts ./
COPY src ./src
COPY workers ./workers
COPY emulators ./emulators
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
# 3000: the api. 9464: /healthz and /metrics of worker and ingest (METRICS_PORT).
EXPOSE 3000 9464
# node is PID 1 and handles SIGTERM itself (drain, release the lease, exit 0): no shell in between.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/main.js"]
CMD ["api"]
