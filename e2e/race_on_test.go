//go:build race

package e2e

// raceEnabled: the suite runs with -race, so the exporter is built with it
// too. It then reuses the packages `go test -race ./...` already compiled, and
// a data race in the exporter shows in its log.
const raceEnabled = true
