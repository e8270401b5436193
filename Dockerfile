# matrix-well-known: build on the full Node image, run on distroless (no shell,
# no package manager, uid 65532). Only the bundle ships: our code and its
# dependencies in a few files (dist/bundle/, with their licences), no node_modules.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
RUN node scripts/build.js --bundle && mkdir compile-cache

FROM gcr.io/distroless/nodejs22-debian12:nonroot
ARG VERSION=1.0.0
LABEL org.opencontainers.image.title="matrix-well-known" \
      org.opencontainers.image.description="Serves a Matrix homeserver's delegation files (/.well-known/matrix/server, client, support, policy_server) from environment configuration" \
      org.opencontainers.image.source="https://github.com/matrix-well-known/matrix-well-known" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"
WORKDIR /app
# Every interface, so that the proxy reaches the service from outside the container.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080
# The bundle (dist/bundle/ in a checkout) as dist/: dist/server.js serves,
# dist/cli.js checks, dist/domains/worker.js loads a domains file.
COPY --from=build /app/dist/bundle ./dist
USER 65532:65532
# Node's compile cache, filled here by the self-test (which loads every module
# the service may run and answers one request of each kind, so a broken bundle
# fails the build) and read at run time. Node keeps one cache per uid, so it is
# filled as the uid the service runs as; on a read-only root file system Node
# cannot add to it and silently does not. Another uid simply starts without it.
# What it saves is in docs/performance.md.
ENV NODE_COMPILE_CACHE=/app/compile-cache
COPY --from=build --chown=65532:65532 /app/compile-cache ./compile-cache
RUN ["/nodejs/bin/node", "dist/server.js", "--self-test"]
EXPOSE 8080
# No shell or curl in the image: the server binary probes its own /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
  CMD ["/nodejs/bin/node", "dist/server.js", "--healthcheck"]
# The image's entrypoint is node; node itself (not npm) receives SIGTERM. The
# flags are npm start's: a 4 MB young generation keeps peak memory under load
# lower, at no measured cost in throughput (docs/performance.md).
CMD ["--max-semi-space-size=4", "dist/server.js"]
