# The image of the alpenhorn demo's hosts (see docker-compose.yaml): the
# alpenhorn and alpenhornd programs, an SSH server and client for the
# daemons' pulls from each other, rsync, and a MariaDB client for looking
# at the data index. It starts sshd and then runs alpenhornd.

# Static binaries: the runtime image needs no Go and no C library for them.
FROM golang:1.26-trixie AS build
# go.mod may ask for a newer patch release than the image has.
ENV GOTOOLCHAIN=auto
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY cmd ./cmd
COPY internal ./internal
COPY extensions ./extensions
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/ ./cmd/alpenhorn ./cmd/alpenhornd

FROM debian:trixie-slim
RUN apt-get update \
    && apt-get install --no-install-recommends -y openssh-server openssh-client rsync mariadb-client \
    && rm -rf /var/lib/apt/lists/*

# Every demo host has the same root key and accepts it, so that each
# daemon can log in to the others to pull files. Demo only: the key is in
# the image.
RUN mkdir -m 700 -p /root/.ssh /run/sshd \
    && ssh-keygen -A \
    && ssh-keygen -q -t ed25519 -N '' -f /root/.ssh/id_ed25519 \
    && cp /root/.ssh/id_ed25519.pub /root/.ssh/authorized_keys \
    && printf 'Host *\n    StrictHostKeyChecking no\n    UserKnownHostsFile /dev/null\n    LogLevel ERROR\n' > /root/.ssh/config
EXPOSE 22

COPY demo/alpenhorn.conf /etc/alpenhorn/alpenhorn.conf
COPY --from=build /out/alpenhorn /out/alpenhornd /usr/local/bin/

# The container's host name (alpenhost1, …) is the daemon's host name.
CMD ["/bin/sh", "-c", "/usr/sbin/sshd && exec alpenhornd"]
