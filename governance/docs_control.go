package governance

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/internal/i18n"
)

// controlWords says in the dictionary's table what the KPI is reconciled
// with: the control's source, tolerance, schedule and series.
func controlWords(t *i18n.Text, cat *catalog.Catalog, k *catalog.KPI) string {
	c := k.Control
	if c == nil {
		return ""
	}
	src := "`" + c.Source + "`"
	if s := cat.Source(c.Source); s != nil {
		src = fmt.Sprintf("`%s` (%s)", s.Name, s.Driver)
	}
	return fmt.Sprintf(t.DocControlF, src, t.Span(c.Interval.D()), t.Tolerance(k), k.ControlMetricName(), k.ControlDifferenceMetricName())
}

// writeControlDoc prints the control query below the KPI's formula.
func writeControlDoc(b *bytes.Buffer, t *i18n.Text, k *catalog.KPI) {
	if c := k.Control; c != nil {
		fmt.Fprintf(b, "\n%s\n\n```sql\n%s\n```\n", fmt.Sprintf(t.DocControlSQLF, c.Value, c.Source), strings.TrimRight(c.SQL, "\n "))
	}
}
