package governance

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// controlWords says in the dictionary's table what the KPI is reconciled
// with: the control's source, tolerance, schedule and series.
func controlWords(cat *catalog.Catalog, k *catalog.KPI) string {
	c := k.Control
	if c == nil {
		return ""
	}
	src := "`" + c.Source + "`"
	if s := cat.Source(c.Source); s != nil {
		src = fmt.Sprintf("`%s` (%s)", s.Name, s.Driver)
	}
	return fmt.Sprintf("the control query on %s (below), every %s, within %s; exported as `%s` and the difference value minus control as `%s`",
		src, c.Interval, k.ToleranceText(), k.ControlMetricName(), k.ControlDifferenceMetricName())
}

// writeControlDoc prints the control query below the KPI's formula.
func writeControlDoc(b *bytes.Buffer, k *catalog.KPI) {
	if c := k.Control; c != nil {
		fmt.Fprintf(b, "\nControl (column `%s`, on `%s`):\n\n```sql\n%s\n```\n", c.Value, c.Source, strings.TrimRight(c.SQL, "\n "))
	}
}
