# The FedSim image for machines that reach a registry: built with the official Swift image, run on
# a slim Debian with libzmq5 and libopenblas0. Without a registry, scripts/docker-image.sh builds
# the same image offline from a local release binary (deploy/docker/Dockerfile.scratch).
#
#   docker build -t fedsim:local .
#   docker run --rm fedsim:local list
#
# One image serves every role; the command picks it (coordinator, worker, run, validate, health).
# The runtime base must carry the same OpenBLAS as every other host of a run (Debian 12 ships
# 0.3.21): the coordinator refuses workers on other BLAS kernels or versions.
ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${SWIFT_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libzmq3-dev libopenblas-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The manifest first, so that dependency resolution is cached across source edits.
COPY Package.swift ./
RUN swift package resolve
COPY . .
RUN swift build -c release --product fedsim --static-swift-stdlib \
 && install -D "$(swift build -c release --show-bin-path)/fedsim" /out/usr/local/bin/fedsim

FROM ${RUNTIME_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libzmq5 libopenblas0 \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /opt/fedsim/runs && chmod 0777 /opt/fedsim/runs
COPY --from=build /out/ /
COPY data /opt/fedsim/data
COPY topologies /opt/fedsim/topologies
ENV FEDSIM_DATA_DIR=/opt/fedsim/data \
    FEDSIM_HEALTH_FILE=/tmp/fedsim.alive \
    OPENBLAS_NUM_THREADS=1
WORKDIR /opt/fedsim
ENTRYPOINT ["/usr/local/bin/fedsim"]
CMD ["--help"]
