package governance

import (
	"fmt"
	"sort"
)

// Severity says whether a finding blocks the catalog (error) or only deserves
// a look (warning).
type Severity string

// The severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Finding is one lint problem, at the place in a catalog file it concerns.
type Finding struct {
	File string `json:"file"`
	// Line is the line of the KPI, source or team the finding is about; the
	// model keeps one position per entry, not per key.
	Line int `json:"line"`
	// Path is the key path, such as kpis[3].owner or sources.erp.dsn.
	Path string `json:"path"`
	// KPI names the KPI concerned, if any.
	KPI      string   `json:"kpi,omitempty"`
	Severity Severity `json:"severity"`
	// Rule is the stable id of the lint rule, one of Rules.
	Rule    string `json:"rule"`
	Message string `json:"message"`
}

// String renders the finding as file:line: severity: path: message [rule].
func (f Finding) String() string {
	pos := f.File
	if f.Line > 0 {
		pos += fmt.Sprintf(":%d", f.Line)
	}
	return fmt.Sprintf("%s: %s: %s: %s [%s]", pos, f.Severity, f.Path, f.Message, f.Rule)
}

// HasErrors reports whether any finding is an error.
func HasErrors(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity == SeverityError {
			return true
		}
	}
	return false
}

func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Rule < b.Rule
	})
}
