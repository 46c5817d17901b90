package collector

import "time"

// Result is one run of a KPI: the converted series and what was skipped.
type Result struct {
	// Columns are the columns of the KPI query's result, as the driver named them.
	Columns []string
	// Series are the exported series, in row order.
	Series []Series
	Stats  Stats
	// TargetErr is set when the KPI has target SQL and it failed; the values
	// are still exported, without targets.
	TargetErr error
}

// Series is one exported label set.
type Series struct {
	// Labels are the label values, in the KPI's Labels order.
	Labels    []string
	Value     float64
	Target    float64
	HasTarget bool
}

// Stats counts what one run read and what it skipped, by reason.
type Stats struct {
	// Rows is every row the KPI query returned.
	Rows int
	// Exported is the number of series kept.
	Exported int
	// Nulls are rows skipped because the value was NULL.
	Nulls int
	// NonNumeric are rows skipped because the value was not a finite number.
	NonNumeric int
	// Duplicates are rows skipped because an earlier row had the same labels.
	Duplicates int
	// OverLimit are rows cut because the KPI already had max_series series.
	OverLimit int
	// InvalidLabels are rows skipped because a label was not valid UTF-8.
	InvalidLabels int
	// TargetRows are target rows read; TargetSkipped those that were NULL,
	// not numeric, invalid or duplicate.
	TargetRows, TargetSkipped int
	// Duration is the time from the start of the query to the converted result.
	Duration time.Duration
}
