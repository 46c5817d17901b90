//go:build !race

package e2e

// raceEnabled: the suite runs without -race; so is the exporter built.
const raceEnabled = false
