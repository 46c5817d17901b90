// Package output is the one step that turns generated values into files:
// it encodes each value with yaml.v3 or encoding/json, by its path's
// extension, and writes every file below a directory, all of them or none.
// Generators stay pure: they return values and never touch the file system.
package output
