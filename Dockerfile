# syntax=docker/dockerfile:1

# ---- build ----
FROM swift:6.1-bookworm AS builder
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libpq-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src

# Resolve dependencies in their own layer so source edits don't refetch them.
COPY Package.* ./
RUN swift package resolve \
        $([ -f ./Package.resolved ] && echo "--force-resolved-versions" || true)

COPY . .
RUN swift build -c release --static-swift-stdlib --product demo \
    && swift build -c release --static-swift-stdlib --product celeriac \
    && mkdir -p /out \
    && cp "$(swift build -c release --static-swift-stdlib --show-bin-path)/demo" \
          "$(swift build -c release --static-swift-stdlib --show-bin-path)/celeriac" /out/

# ---- runtime ----
FROM debian:bookworm-slim
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libpq5 libstdc++6 zlib1g ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /app --shell /usr/sbin/nologin celeriac
COPY --from=builder /out/demo /out/celeriac /usr/local/bin/
USER celeriac
WORKDIR /app
ENTRYPOINT []
CMD ["demo", "worker", "--loglevel", "INFO", "-c", "2"]
