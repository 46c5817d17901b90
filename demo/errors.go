package demo

import "errors"

// ErrNotDemo is returned when the path holds a database that the demo did not
// create; the demo never writes into it.
var ErrNotDemo = errors.New("not a kpi_exporter demo database")
