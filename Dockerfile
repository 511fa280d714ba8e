# syntax=docker/dockerfile:1
#
# Pattmayne Auth: release build in a Rust image, then only the binary on a
# distroless base (glibc + libgcc, no shell, no package manager), running as
# the non-root user 65532.
#
#   docker build -t pattmayne-auth .
#   docker run --rm -p 8080:8080 pattmayne-auth      # development: SQLite in /data
#
# Production settings (PostgreSQL, AUTH_SECRET_KEY_FILE, AUTH_PUBLIC_URL...)
# come from the environment; see docker-compose.yml and the README (Deploy).

# ---------------------------------------------------------------------------
# Builder. Bookworm, to match the glibc of distroless/cc-debian12 below.
# The slim image already has gcc and libc6-dev, which is every native tool the
# build needs: aws-lc-sys builds AWS-LC with its `cc` builder on x86_64 and
# aarch64 Linux (pregenerated bindings: no cmake, perl, nasm or clang), and
# ring and the bundled SQLite are plain C through the `cc` crate too.
FROM rust:1.95.0-slim-bookworm AS builder

WORKDIR /build
ENV CARGO_TERM_COLOR=never \
    CARGO_INCREMENTAL=0

# 1. Dependencies only, in their own layer: it is rebuilt when Cargo.toml or
#    Cargo.lock change, not when the sources do. Stub crate roots stand in for
#    the workspace's crates (the server and migration/, which the image
#    builds; client/ and demo/, the client kit and its demo, and the two
#    game sign-in examples under examples/, which it does not, but Cargo
#    must find every member of the workspace).
COPY Cargo.toml Cargo.lock ./
COPY migration/Cargo.toml migration/Cargo.toml
COPY client/Cargo.toml client/Cargo.toml
COPY demo/Cargo.toml demo/Cargo.toml
COPY examples/desktop-login/Cargo.toml examples/desktop-login/Cargo.toml
COPY examples/device-login/Cargo.toml examples/device-login/Cargo.toml
RUN mkdir -p src migration/src client/src demo/src \
        examples/desktop-login/src examples/device-login/src \
    && echo 'fn main() {}' > src/main.rs \
    && echo 'fn main() {}' > demo/src/main.rs \
    && echo 'fn main() {}' > examples/desktop-login/src/main.rs \
    && echo 'fn main() {}' > examples/device-login/src/main.rs \
    && touch src/lib.rs migration/src/lib.rs client/src/lib.rs demo/src/lib.rs \
        examples/desktop-login/src/lib.rs examples/device-login/src/lib.rs \
    && cargo build --release --locked -p pattmayne-auth \
    && rm -rf src migration/src

# 2. The real sources. templates/, static/ and locales/ are embedded into
#    the binary with include_str!, so they are needed here and nowhere else. `touch`
#    makes the crate roots newer than the stubs' build, whatever the mtimes
#    the build context carried, so Cargo rebuilds both crates for certain.
COPY migration/src migration/src
COPY src src
COPY templates templates
COPY static static
COPY locales locales
RUN touch src/main.rs src/lib.rs migration/src/lib.rs \
    && cargo build --release --locked -p pattmayne-auth \
    && install -D -m 0755 target/release/pattmayne-auth /out/pattmayne-auth \
    && mkdir -p /out/data

# ---------------------------------------------------------------------------
# Runtime: the binary and an empty data directory, nothing else.
FROM gcr.io/distroless/cc-debian12:nonroot

LABEL org.opencontainers.image.title="pattmayne-auth" \
      org.opencontainers.image.description="A small, fast single sign-on server for a family of web apps and games" \
      org.opencontainers.image.licenses="MIT"

COPY --from=builder /out/pattmayne-auth /usr/local/bin/pattmayne-auth
# /data holds the SQLite file and the development secret key when no
# PostgreSQL / AUTH_SECRET_KEY is configured. Owned by the runtime user so a
# fresh volume mounted there is writable.
COPY --from=builder --chown=65532:65532 /out/data /data

ENV AUTH_BIND=0.0.0.0:8080 \
    AUTH_DATA_DIR=/data \
    AUTH_LOG_FORMAT=json

# distroless "nonroot" is uid/gid 65532; said numerically so that
# runAsNonRoot-style checks can verify it without an /etc/passwd lookup.
USER 65532:65532
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080

# The binary probes its own /healthz (there is no curl in this image).
HEALTHCHECK --interval=30s --timeout=6s --start-period=60s --retries=3 \
    CMD ["/usr/local/bin/pattmayne-auth", "healthcheck"]

ENTRYPOINT ["/usr/local/bin/pattmayne-auth"]
CMD ["serve"]
