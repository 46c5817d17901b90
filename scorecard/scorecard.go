package scorecard

import (
	"time"

	"github.com/kpi-exporter/kpi_exporter/calendar"
	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// Status is a series' standing against its thresholds.
type Status string

// The statuses, from best to worst; None and Unknown judge nothing.
const (
	// StatusOK: no threshold is breached.
	StatusOK Status = "ok"
	// StatusWarning: the warning threshold is breached, the critical not.
	StatusWarning Status = "warning"
	// StatusCritical: the critical threshold is breached.
	StatusCritical Status = "critical"
	// StatusNone: the KPI has no threshold that applies to the series.
	StatusNone Status = "none"
	// StatusUnknown: there is no value to judge (never collected, or
	// withdrawn as stale).
	StatusUnknown Status = "unknown"
)

// rank orders statuses for "the worst of": critical first.
func (s Status) rank() int {
	switch s {
	case StatusCritical:
		return 4
	case StatusWarning:
		return 3
	case StatusUnknown:
		return 2
	case StatusOK:
		return 1
	}
	return 0
}

// Word names the status for a reader, beside its colour: "OK",
// "Warning", "Critical", "No thresholds", "No data".
func (s Status) Word() string {
	switch s {
	case StatusOK:
		return "OK"
	case StatusWarning:
		return "Warning"
	case StatusCritical:
		return "Critical"
	case StatusNone:
		return "No thresholds"
	}
	return "No data"
}

// Worst is the worse of two statuses.
func Worst(a, b Status) Status {
	if b.rank() > a.rank() {
		return b
	}
	return a
}

// Health is the state of a KPI's collection, apart from its status.
type Health string

// The healths.
const (
	// HealthUp: the last run succeeded.
	HealthUp Health = "up"
	// HealthDown: the last run failed; the values of the last success are
	// still served.
	HealthDown Health = "down"
	// HealthStale: the last success is older than max_age, or there was
	// none; no value is served.
	HealthStale Health = "stale"
)

// Series is one collected label set: labels in the KPI's label order.
type Series struct {
	Labels    []string
	Value     float64
	Target    float64
	HasTarget bool
}

// Input is what the collector knows of one KPI.
type Input struct {
	KPI         *catalog.KPI
	Health      Health
	LastSuccess time.Time
	// LastError is the last run's error, already redacted, or empty.
	LastError string
	// Series are the last successful run's series.
	Series []Series
}

// Scorecard is every KPI's standing at one instant, by team.
type Scorecard struct {
	At     time.Time `json:"at"`
	Counts Counts    `json:"counts"`
	Teams  []Team    `json:"teams"`
}

// Counts counts series by status.
type Counts struct {
	OK       int `json:"ok"`
	Warning  int `json:"warning"`
	Critical int `json:"critical"`
	None     int `json:"none"`
	Unknown  int `json:"unknown"`
}

func (c *Counts) add(s Status, n int) {
	switch s {
	case StatusOK:
		c.OK += n
	case StatusWarning:
		c.Warning += n
	case StatusCritical:
		c.Critical += n
	case StatusNone:
		c.None += n
	default:
		c.Unknown += n
	}
}

// Team is one team's KPIs, in name order.
type Team struct {
	Name string `json:"name"`
	// Title is the team's display title: its title, else its name.
	Title  string `json:"title"`
	Counts Counts `json:"counts"`
	KPIs   []KPI  `json:"kpis"`
}

// KPI is one KPI's standing: its worst series' status and every series.
type KPI struct {
	Name string `json:"name"`
	// Title is the KPI's display title: its title, else its name.
	Title      string `json:"title"`
	Help       string `json:"help,omitempty"`
	Owner      string `json:"owner"`
	Unit       string `json:"unit,omitempty"`
	Currency   string `json:"currency,omitempty"`
	Direction  string `json:"direction"`
	Period     string `json:"period,omitempty"`
	Calendar   string `json:"calendar"`
	TimeZone   string `json:"timezone"`
	RunbookURL string `json:"runbook_url,omitempty"`
	Health     Health `json:"health"`
	LastError  string `json:"last_error,omitempty"`
	// LastSuccess is in the KPI's calendar zone; nil when it never
	// succeeded.
	LastSuccess *time.Time `json:"last_success,omitempty"`
	// Elapsed is the share of the current period elapsed in the KPI's
	// calendar (by working time for a working accrual); nil without a
	// period.
	Elapsed *float64 `json:"period_elapsed,omitempty"`
	Status  Status   `json:"status"`
	Series  []Row    `json:"series"`
}

// Row is one series' standing. A figure that does not exist is nil, never
// zero.
type Row struct {
	Labels map[string]string `json:"labels,omitempty"`
	Value  float64           `json:"value"`
	Target *float64          `json:"target,omitempty"`
	// Attainment is value/target when higher is better, target/value when
	// lower: above 1 is good either way.
	Attainment *float64 `json:"attainment,omitempty"`
	// Expected is the target expected by now in a period KPI: target ×
	// elapsed share. Pacing compares the value with it as Attainment does
	// with the target.
	Expected *float64 `json:"expected_to_date,omitempty"`
	Pacing   *float64 `json:"pacing,omitempty"`
	// Warning and Critical are the threshold levels in force for the
	// series, in the KPI's unit.
	Warning  *float64 `json:"warning,omitempty"`
	Critical *float64 `json:"critical,omitempty"`
	Status   Status   `json:"status"`

	// Text is the row's figures rendered in the KPI's unit.
	Text RowText `json:"text"`
}

// RowText is a row's figures as a reader reads them; "" where the figure
// is nil.
type RowText struct {
	Labels     string `json:"labels,omitempty"`
	Value      string `json:"value"`
	Target     string `json:"target,omitempty"`
	Attainment string `json:"attainment,omitempty"`
	Expected   string `json:"expected_to_date,omitempty"`
	Pacing     string `json:"pacing,omitempty"`
}

// Build judges every input at now. KPIs of the catalog without an input
// are left out; teams come in name order, their KPIs in name order.
func Build(cat *catalog.Catalog, in []Input, now time.Time) Scorecard {
	sc := Scorecard{At: now}
	byName := make(map[string]*Input, len(in))
	for i := range in {
		byName[in[i].KPI.Name] = &in[i]
	}
	shares := shareCache{}
	for _, team := range cat.OwningTeams() {
		t := Team{Name: team, Title: cat.TeamTitle(team)}
		for _, k := range cat.TeamKPIs(team) {
			x, ok := byName[k.Name]
			if !ok {
				continue
			}
			kp := judge(cat, x, now, shares)
			for _, r := range kp.Series {
				t.Counts.add(r.Status, 1)
			}
			if len(kp.Series) == 0 {
				t.Counts.add(kp.Status, 1)
			}
			t.KPIs = append(t.KPIs, kp)
		}
		if len(t.KPIs) == 0 {
			continue
		}
		sc.Counts.OK += t.Counts.OK
		sc.Counts.Warning += t.Counts.Warning
		sc.Counts.Critical += t.Counts.Critical
		sc.Counts.None += t.Counts.None
		sc.Counts.Unknown += t.Counts.Unknown
		sc.Teams = append(sc.Teams, t)
	}
	return sc
}

// shareKey names one elapsed share: many KPIs count the same period in
// the same calendar, and a working-time share walks every day of it.
type shareKey struct {
	calendar string
	period   catalog.Period
	working  bool
}

type shareCache map[shareKey]float64

// Elapsed is the share of k's current period elapsed at now in its
// calendar, by working time for a working accrual: what the generated
// rules record as the KPI's period_elapsed.
func Elapsed(cat *catalog.Catalog, k *catalog.KPI, now time.Time) float64 {
	cal, p := cat.CalendarOf(k), calendar.Period(k.Period)
	if k.Accrual == catalog.AccrueWorking {
		return cal.WorkElapsed(p, now)
	}
	return cal.Elapsed(p, now)
}

func (c shareCache) elapsed(cat *catalog.Catalog, k *catalog.KPI, now time.Time) float64 {
	key := shareKey{cat.CalendarName(k), k.Period, k.Accrual == catalog.AccrueWorking}
	if v, ok := c[key]; ok {
		return v
	}
	v := Elapsed(cat, k, now)
	c[key] = v
	return v
}

// Judge judges one KPI's input at now, as Build does.
func Judge(cat *catalog.Catalog, in Input, now time.Time) KPI {
	return judge(cat, &in, now, shareCache{})
}

func judge(cat *catalog.Catalog, x *Input, now time.Time, shares shareCache) KPI {
	k := x.KPI
	cal := cat.CalendarOf(k)
	kp := KPI{
		Name: k.Name, Title: k.DisplayTitle(), Help: k.Help, Owner: k.Owner, Unit: string(k.Unit), Currency: k.Currency,
		Direction: string(catalog.HigherIsBetter), Period: string(k.Period),
		Calendar: cat.CalendarName(k), TimeZone: cal.Location().String(), RunbookURL: k.RunbookURL,
		Health: x.Health, LastError: x.LastError, Status: StatusNone,
	}
	if k.Direction == catalog.LowerIsBetter {
		kp.Direction = string(catalog.LowerIsBetter)
	}
	if !x.LastSuccess.IsZero() {
		t := x.LastSuccess.In(cal.Location())
		kp.LastSuccess = &t
	}
	j := judgeOf(k)
	if k.Period != catalog.PeriodNone {
		e := shares.elapsed(cat, k, now)
		kp.Elapsed, j.elapsed = &e, &e
	}
	if x.Health == HealthStale {
		// The values are withdrawn from /metrics, so the rules judge
		// nothing either; the last ones are shown for what they were.
		kp.Status = StatusUnknown
	}
	kp.Series = make([]Row, len(x.Series))
	for i := range x.Series {
		r := j.row(&x.Series[i])
		if x.Health == HealthStale {
			r.Status = StatusUnknown
		}
		kp.Series[i] = r
		if i == 0 {
			kp.Status = r.Status
		} else {
			kp.Status = Worst(kp.Status, r.Status)
		}
	}
	if len(x.Series) == 0 {
		kp.Status = StatusUnknown // nothing collected, nothing to judge
	}
	return kp
}
