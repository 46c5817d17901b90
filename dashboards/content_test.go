package dashboards

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// panel is the part of a generated panel these tests read.
type panel struct {
	ID          int    `json:"id"`
	Type        string `json:"type"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Targets     []struct {
		Expr  string `json:"expr"`
		RefID string `json:"refId"`
	} `json:"targets"`
	Links []struct {
		URL string `json:"url"`
	} `json:"links"`
	FieldConfig struct {
		Defaults struct {
			Unit       string `json:"unit"`
			Thresholds struct {
				Steps []dashboard.Threshold `json:"steps"`
			} `json:"thresholds"`
			Custom struct {
				ThresholdsStyle struct {
					Mode string `json:"mode"`
				} `json:"thresholdsStyle"`
			} `json:"custom"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
}

func (p panel) exprs() []string {
	var out []string
	for _, t := range p.Targets {
		out = append(out, t.Expr)
	}
	return out
}

func panelsOf(t *testing.T, files []File) map[string][]panel {
	t.Helper()
	out := map[string][]panel{}
	for _, f := range files {
		if !strings.HasSuffix(f.Path, ".json") {
			continue
		}
		var doc struct {
			Panels []panel `json:"panels"`
		}
		if err := json.Unmarshal(f.Data, &doc); err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		out[f.Path] = doc.Panels
	}
	return out
}

// find returns the first panel of the given type with a query that starts
// with the series name (followed by a selector or nothing).
func find(ps []panel, typ, series string) (panel, bool) {
	for _, p := range ps {
		if p.Type != typ {
			continue
		}
		for _, e := range p.exprs() {
			if e == series || strings.HasPrefix(e, series+"{") {
				return p, true
			}
		}
	}
	return panel{}, false
}

func hasExpr(p panel, series string) bool {
	return slices.ContainsFunc(p.exprs(), func(e string) bool { return e == series || strings.HasPrefix(e, series+"{") })
}

func TestEveryKPIIsOnTheOverviewWithTargetAndThresholds(t *testing.T) {
	for _, c := range testCatalogs(t) {
		t.Run(c.name, func(t *testing.T) {
			cat := c.load(t)
			ov := panelsOf(t, generate(t, cat))[overviewPath]
			for _, k := range cat.KPIs {
				v, ok := find(ov, "stat", k.MetricName())
				if !ok {
					t.Errorf("%s: no value stat on the overview", k.Name)
					continue
				}
				if v.FieldConfig.Defaults.Unit != k.GrafanaUnit() {
					t.Errorf("%s: value unit %q, want %q", k.Name, v.FieldConfig.Defaults.Unit, k.GrafanaUnit())
				}
				if len(v.Links) != 1 || v.Links[0].URL != detailURL(k) || !strings.Contains(v.Links[0].URL, "viewPanel="+k.PanelID()) {
					t.Errorf("%s: value stat links %v, want the KPI's detail panel", k.Name, v.Links)
				}
				q := newKPIQueries(cat, k, nil)
				for _, want := range []string{fmt.Sprintf(q.t.TargetIsF, targetText(q)), fmt.Sprintf(q.t.WarningIsF, thresholdText(q, warning(k))), fmt.Sprintf(q.t.CriticalIsF, thresholdText(q, critical(k)))} {
					if !strings.Contains(v.Description, want) {
						t.Errorf("%s: description lacks %q", k.Name, want)
					}
				}
				l, static := valueLevels(k)
				if static && !reflect.DeepEqual(v.FieldConfig.Defaults.Thresholds.Steps, steps(k.Direction, l)) {
					t.Errorf("%s: value stat thresholds %v, want %v", k.Name, v.FieldConfig.Defaults.Thresholds.Steps, steps(k.Direction, l))
				}
				if k.Thresholds != nil && static && len(v.FieldConfig.Defaults.Thresholds.Steps) < 2 {
					t.Errorf("%s: value stat is not coloured by its thresholds", k.Name)
				}
				g, ok := find(ov, "gauge", k.KPIRecord(catalog.OpAttainment))
				if ok != k.HasTarget() {
					t.Errorf("%s: attainment gauge present %v, target %v", k.Name, ok, k.HasTarget())
				}
				if ok && !reflect.DeepEqual(g.FieldConfig.Defaults.Thresholds.Steps, attainmentSteps(k)) {
					t.Errorf("%s: attainment thresholds %v, want %v", k.Name, g.FieldConfig.Defaults.Thresholds.Steps, attainmentSteps(k))
				}
				p, ok := find(ov, "stat", k.KPIRecord(catalog.OpPacing))
				if ok != hasPacing(k) {
					t.Errorf("%s: pacing figure present %v, want %v", k.Name, ok, hasPacing(k))
				}
				if ok && !reflect.DeepEqual(p.FieldConfig.Defaults.Thresholds.Steps, pacingSteps(k)) {
					t.Errorf("%s: pacing thresholds %v, want %v", k.Name, p.FieldConfig.Defaults.Thresholds.Steps, pacingSteps(k))
				}
				if !static {
					// The thresholds then live in attainment or pacing space and must
					// be the KPI's own, not the fallback.
					colour := attainmentSteps(k)
					if k.Period != catalog.PeriodNone {
						colour = pacingSteps(k)
					}
					if reflect.DeepEqual(colour, steps(catalog.HigherIsBetter, shortOfTarget())) {
						t.Errorf("%s: percentage thresholds are not shown anywhere on the overview", k.Name)
					}
				}
			}
		})
	}
}

func TestEveryKPIIsOnItsTeamDashboardWithTargetAndThresholds(t *testing.T) {
	for _, c := range testCatalogs(t) {
		t.Run(c.name, func(t *testing.T) {
			cat := c.load(t)
			all := panelsOf(t, generate(t, cat))
			for _, k := range cat.KPIs {
				ps := all[teamPath(k.Team)]
				var v panel
				for _, p := range ps {
					if p.ID == k.PanelNumber() {
						v = p
					}
				}
				if v.Type != "timeseries" || !hasExpr(v, k.MetricName()) {
					t.Errorf("%s: panel %d (the alerts' viewPanel) is %q %v, want the value time series", k.Name, k.PanelNumber(), v.Type, v.exprs())
					continue
				}
				if k.HasTarget() && !hasExpr(v, k.TargetMetricName()) {
					t.Errorf("%s: value panel lacks the target line %s", k.Name, k.TargetMetricName())
				}
				l, static := valueLevels(k)
				switch {
				case !static:
					for op, th := range map[string]*catalog.Threshold{catalog.OpThresholdWarning: warning(k), catalog.OpThresholdCritical: critical(k)} {
						if th != nil && !hasExpr(v, k.KPIRecord(op)) {
							t.Errorf("%s: value panel lacks the recorded %s series", k.Name, op)
						}
					}
				case !l.empty():
					if !reflect.DeepEqual(v.FieldConfig.Defaults.Thresholds.Steps, steps(k.Direction, l)) ||
						v.FieldConfig.Defaults.Custom.ThresholdsStyle.Mode != "line+area" {
						t.Errorf("%s: value panel thresholds %v (%s), want bands %v", k.Name,
							v.FieldConfig.Defaults.Thresholds.Steps, v.FieldConfig.Defaults.Custom.ThresholdsStyle.Mode, steps(k.Direction, l))
					}
				}
				if _, ok := find(ps, "timeseries", k.KPIRecord(catalog.OpAttainment)); ok != k.HasTarget() {
					t.Errorf("%s: attainment chart present %v, target %v", k.Name, ok, k.HasTarget())
				}
				if p, ok := find(ps, "timeseries", k.KPIRecord(catalog.OpExpectedToDate)); ok != hasPacing(k) || (ok && !hasExpr(p, k.MetricName())) {
					t.Errorf("%s: pacing chart (value vs expected to date) present %v, want %v", k.Name, ok, hasPacing(k))
				}
				if _, ok := find(ps, "table", k.MetricName()); !ok {
					t.Errorf("%s: no table of current values", k.Name)
				}
				for _, l := range k.Labels {
					if _, ok := find(ps, "timeseries", breakdownAgg(k)+" by ("+l+") ("+k.MetricName()); !ok {
						t.Errorf("%s: no breakdown by %s", k.Name, l)
					}
				}
				health := false
				for _, p := range ps {
					if hasExpr(p, catalog.SelfSourceUp) && slices.ContainsFunc(p.exprs(), func(e string) bool {
						return strings.Contains(e, catalog.SelfLastSuccess+`{kpi="`+k.Name+`"}`)
					}) && slices.ContainsFunc(p.exprs(), func(e string) bool {
						return strings.Contains(e, catalog.SelfErrors+`{kpi="`+k.Name+`"}`)
					}) {
						health = true
					}
				}
				if !health {
					t.Errorf("%s: no collection health (source up, last success age, errors)", k.Name)
				}
			}
		})
	}
}

func TestTeamDashboardsAnnotateAlertsAndDefinitionChanges(t *testing.T) {
	cat := load(t, "../config.example.yaml")
	for _, f := range generate(t, cat) {
		if !strings.HasPrefix(f.Path, "dashboards/team-") {
			continue
		}
		team := strings.TrimSuffix(strings.TrimPrefix(f.Path, "dashboards/team-"), ".json")
		var doc struct {
			Annotations struct {
				List []struct {
					Name   string `json:"name"`
					Expr   string `json:"expr"`
					Enable bool   `json:"enable"`
				} `json:"list"`
			} `json:"annotations"`
		}
		if err := json.Unmarshal(f.Data, &doc); err != nil {
			t.Fatal(err)
		}
		var exprs []string
		for _, a := range doc.Annotations.List {
			if !a.Enable {
				t.Errorf("%s: annotation %q is off", f.Path, a.Name)
			}
			exprs = append(exprs, a.Expr)
		}
		want := []string{alertsFired(team), definitionChanged(team), definitionChangedLogged(team)}
		if !reflect.DeepEqual(exprs, want) {
			t.Errorf("%s: annotations %q, want %q", f.Path, exprs, want)
		}
		if !strings.Contains(want[0], `team="`+team+`"`) || !strings.Contains(want[1], catalog.LabelDefinitionHash) {
			t.Errorf("%s: annotations do not select the team's alerts and definition hashes: %q", f.Path, want)
		}
	}
}

func TestThresholdColoursFollowDirection(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	th := func(v *float64, c string) dashboard.Threshold { return dashboard.Threshold{Value: v, Color: c} }
	for _, tc := range []struct {
		name string
		dir  catalog.Direction
		l    levels
		want []dashboard.Threshold
	}{
		{"higher is better: red below critical, orange below warning, green above",
			catalog.HigherIsBetter, levels{warning: f(90), critical: f(80)},
			[]dashboard.Threshold{th(nil, "red"), th(f(80), "orange"), th(f(90), "green")}},
		{"lower is better: green below warning, orange below critical, red above",
			catalog.LowerIsBetter, levels{warning: f(0.03), critical: f(0.05)},
			[]dashboard.Threshold{th(nil, "green"), th(f(0.03), "orange"), th(f(0.05), "red")}},
		{"higher is better with a warning only: orange below, green above",
			catalog.HigherIsBetter, levels{warning: f(5)},
			[]dashboard.Threshold{th(nil, "orange"), th(f(5), "green")}},
		{"higher is better with a critical only: red below, green above",
			catalog.HigherIsBetter, levels{critical: f(5)},
			[]dashboard.Threshold{th(nil, "red"), th(f(5), "green")}},
		{"lower is better with a critical only: green below, red above",
			catalog.LowerIsBetter, levels{critical: f(5)},
			[]dashboard.Threshold{th(nil, "green"), th(f(5), "red")}},
		{"no direction reads as higher is better",
			"", levels{warning: f(2), critical: f(1)},
			[]dashboard.Threshold{th(nil, "red"), th(f(1), "orange"), th(f(2), "green")}},
		{"no thresholds stay neutral",
			catalog.LowerIsBetter, levels{},
			[]dashboard.Threshold{th(nil, "text")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := steps(tc.dir, tc.l); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("steps = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestThresholdsConvertToTheSpaceTheyAreDrawnIn(t *testing.T) {
	cat := load(t, "testdata/catalog.yaml")
	val := func(l levels) [2]any { return [2]any{deref(l.warning), deref(l.critical)} }
	for _, tc := range []struct {
		name, kpi    string
		static       bool
		value, ratio [2]any // warning, critical; nil when absent or not convertible
		pacing       [2]any
	}{
		{"absolute thresholds are static and convert against a constant target",
			"orders_today", true, [2]any{90.0, 80.0}, [2]any{0.9, 0.8}, [2]any{nil, nil}},
		{"a percentage of a constant target is static; lower is better inverts the ratio",
			"checkout_time_seconds", true, [2]any{2.4, 3.0}, [2]any{0.833333333333, 0.666666666667}, [2]any{nil, nil}},
		{"a percentage of a SQL target with a period differs per series and moment; pacing carries it",
			"revenue_qtd", false, [2]any{nil, nil}, [2]any{0.95, 0.85}, [2]any{0.95, 0.85}},
		{"absolute thresholds without a target do not convert to ratios",
			"error_share", true, [2]any{0.05, nil}, [2]any{nil, nil}, [2]any{nil, nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := cat.KPI(tc.kpi)
			l, static := valueLevels(k)
			if static != tc.static || val(l) != tc.value {
				t.Errorf("valueLevels = %v %v, want %v %v", val(l), static, tc.value, tc.static)
			}
			if r, _ := ratioLevels(k, true); val(r) != tc.ratio {
				t.Errorf("ratioLevels(absolute) = %v, want %v", val(r), tc.ratio)
			}
			if r, _ := ratioLevels(k, false); val(r) != tc.pacing {
				t.Errorf("ratioLevels(percentages only) = %v, want %v", val(r), tc.pacing)
			}
		})
	}
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}
