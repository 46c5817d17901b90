package demo

// The demo business. These tables are read-only: they decide where each KPI of
// config.example.yaml sits against its target. Most KPIs sit near their targets
// with noise; some sit between warning and critical; production line L3 (first
// pass yield ~0.86, defect rate ~0.07) and the chat support channel (csat ~3.8)
// are below their critical thresholds at any moment, so the generated alerts
// always have something to fire.

// region is a sales region: orders against a monthly budget, and subscription renewals.
type region struct {
	name          string
	monthlyBudget float64
	// pace is the expected revenue of a month as a share of its budget.
	pace float64
	// renewal is the share of due subscriptions that renew.
	renewal float64
}

var regions = []region{
	{name: "amer", monthlyBudget: 1_500_000, pace: 0.99, renewal: 0.86},
	{name: "apac", monthlyBudget: 900_000, pace: 0.90, renewal: 0.77},
	{name: "emea", monthlyBudget: 1_200_000, pace: 1.03, renewal: 0.88},
}

const (
	// orderChance is the chance that a region books an order in a minute.
	orderChance = 0.15
	// subscriptionChance is the chance that a subscription of a region falls due in a minute.
	subscriptionChance = 0.08
)

// orderStatuses and their weights; only completed orders count as revenue.
var (
	orderStatuses       = []string{"completed", "refunded", "cancelled"}
	orderStatusWeights  = []float64{0.92, 0.05, 0.03}
	completedOrderShare = orderStatusWeights[0]
)

// salesChannel is where web sessions come from.
type salesChannel struct {
	name       string
	conversion float64
}

var salesChannels = []salesChannel{
	{name: "mobile", conversion: 0.053},
	{name: "partner", conversion: 0.066},
	{name: "web", conversion: 0.058},
}

// sessionsPerMinute is the range [min, min+spread) of sessions per channel and minute.
const (
	sessionsMin    = 1
	sessionsSpread = 3
)

// line is a production line; a run ends in a minute with chance runChance.
type line struct {
	name           string
	units          int64   // mean units per run
	failFirst      float64 // share of units failing first inspection (defects included)
	defect         float64 // share of units scrapped as defective
	weeklyCapacity int64
}

var lines = []line{
	{name: "L1", units: 40, failFirst: 0.035, defect: 0.012, weeklyCapacity: 205_000}, // ~98% of capacity
	{name: "L2", units: 36, failFirst: 0.055, defect: 0.025, weeklyCapacity: 190_000}, // ~95%
	{name: "L3", units: 30, failFirst: 0.14, defect: 0.07, weeklyCapacity: 180_000},   // ~84%
}

const (
	runChance = 0.5
	// unitsSpread is the spread of units per run around the line's mean.
	unitsSpread = 6
)

// plant ships deliveries.
type plant struct {
	name   string
	onTime float64
}

var plants = []plant{
	{name: "hamburg", onTime: 0.965},
	{name: "porto", onTime: 0.89},
}

// deliveryChance is the chance that a plant delivers in a minute.
const deliveryChance = 0.35

// supportChannel is where tickets come in; csatWeights are the chances of the
// scores 1..5.
type supportChannel struct {
	name        string
	share       float64
	csatWeights []float64
}

var supportChannels = []supportChannel{
	{name: "chat", share: 0.35, csatWeights: []float64{0.05, 0.10, 0.20, 0.35, 0.30}},  // mean 3.75
	{name: "email", share: 0.40, csatWeights: []float64{0.02, 0.02, 0.08, 0.38, 0.50}}, // mean 4.32
	{name: "phone", share: 0.25, csatWeights: []float64{0.01, 0.01, 0.06, 0.22, 0.70}}, // mean 4.59
}

// priority decides how long a ticket stays open: uniform in [minSeconds, maxSeconds).
type priority struct {
	name       string
	share      float64
	minSeconds int64
	maxSeconds int64
}

var priorities = []priority{
	{name: "high", share: 0.2, minSeconds: 1800, maxSeconds: 10800},   // mean 1.75h
	{name: "low", share: 0.3, minSeconds: 7200, maxSeconds: 30600},    // mean 5.25h
	{name: "medium", share: 0.5, minSeconds: 3600, maxSeconds: 21600}, // mean 3.5h
}

const (
	// ticketChance is the chance that a ticket is opened in a minute.
	ticketChance = 0.5
	// csatAnswerChance is the chance that a customer rates a closed ticket.
	csatAnswerChance = 0.7
)

// shares returns the share of each support channel or priority, for rng.pick.
func shares[T any](items []T, share func(T) float64) []float64 {
	out := make([]float64, len(items))
	for i, it := range items {
		out[i] = share(it)
	}
	return out
}
