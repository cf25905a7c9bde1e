#!/bin/sh
# Base images for deploy/compose.yaml built from a Debian mirror, for hosts that cannot pull from Docker Hub
# (README, "Despliegue" → "Sin acceso a Docker Hub"). Needs root, debootstrap and docker or podman:
#
#   sudo deploy/offline/build-base-images.sh [http://mirror.example/debian]
#
# then add the four *_IMAGE lines it prints to deploy/production.env. The *.crt files of EXTRA_CA_DIR
# (default /usr/local/share/ca-certificates: the host's own additions, e.g. a TLS-inspecting proxy's CA)
# are trusted inside the Python image.
set -eu
MIRROR=${1:-http://deb.debian.org/debian}
ENGINE=${ENGINE:-$(command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 && echo docker || echo podman)}
HERE=$(cd "$(dirname "$0")" && pwd)
DEBIAN_IMAGE=localhost/autogestion-debian:bookworm
CONTEXT=$(mktemp -d)
trap 'rm -rf "$CONTEXT"' EXIT
cp "$HERE"/Containerfile.* "$HERE"/*.sh "$CONTEXT"/ && mkdir "$CONTEXT/ca"
for crt in "${EXTRA_CA_DIR:-/usr/local/share/ca-certificates}"/*.crt; do
    [ -f "$crt" ] && cp "$crt" "$CONTEXT/ca/"
done

if ! "$ENGINE" image inspect "$DEBIAN_IMAGE" >/dev/null 2>&1; then
    mkdir "$CONTEXT/rootfs"
    debootstrap --variant=minbase bookworm "$CONTEXT/rootfs" "$MIRROR"
    tar -C "$CONTEXT/rootfs" -c . | "$ENGINE" import - "$DEBIAN_IMAGE"
    rm -rf "$CONTEXT/rootfs"
fi
for name in python:3.11 postgres:15 redis:7 nginx:1.22; do
    "$ENGINE" build --build-arg DEBIAN_IMAGE="$DEBIAN_IMAGE" -t "localhost/autogestion-$name" \
        -f "$CONTEXT/Containerfile.${name%%:*}" "$CONTEXT"
done
cat <<LINES
Add to deploy/production.env:
PYTHON_IMAGE=localhost/autogestion-python:3.11
POSTGRES_IMAGE=localhost/autogestion-postgres:15
REDIS_IMAGE=localhost/autogestion-redis:7
NGINX_IMAGE=localhost/autogestion-nginx:1.22
LINES
