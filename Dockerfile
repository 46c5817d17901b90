# Build a static binary: the SQLite driver is pure Go, so CGO stays off.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/prometheus/common/version.Version=${VERSION}" \
      -o /out/kpi_exporter ./cmd/kpi_exporter

# Run as an unprivileged user in an image with nothing but the binary and CA
# certificates. The catalog is mounted at /etc/kpi_exporter.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/kpi_exporter /usr/local/bin/kpi_exporter
COPY config.example.yaml /etc/kpi_exporter/config.yaml
USER 65532:65532
WORKDIR /home/nonroot
EXPOSE 9786
ENTRYPOINT ["/usr/local/bin/kpi_exporter"]
CMD ["--config.file=/etc/kpi_exporter/config.yaml"]
