package demo

import (
	"math"
	"time"
)

// bucketSeconds is the length of one time bucket. Rows are generated per
// bucket, so the KPIs move every minute.
const bucketSeconds = 60

// The tables, as rng streams.
const (
	tableOrders = iota + 1
	tableSessions
	tableRuns
	tableDeliveries
	tableTickets
	tableSubscriptions
)

type order struct {
	ts             int64
	region, status string
	amount         float64
}

type session struct {
	ts        int64
	channel   string
	converted int64
}

type productionRun struct {
	ts                          int64
	line                        string
	units, passedFirst, defects int64
}

type delivery struct {
	plant               string
	promised, delivered int64
}

// ticket is opened in its bucket and closes at closes; csat is 0 when the
// customer gave no rating. Its id is its bucket: at most one ticket a minute.
type ticket struct {
	id                int64
	channel, priority string
	opened, closes    int64
	csat              int64
}

type subscription struct {
	region  string
	due     int64
	renewed int64
}

func bucketStart(b int64) int64 { return b * bucketSeconds }

// minutesInMonth is the length of the UTC month that holds bucket b, so that
// orders pace to the monthly budget in short and long months alike.
func minutesInMonth(b int64) float64 {
	t := time.Unix(bucketStart(b), 0).UTC()
	first := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	return first.AddDate(0, 1, 0).Sub(first).Minutes()
}

func genOrders(b int64) []order {
	var out []order
	for i, reg := range regions {
		r := newRNG(b, tableOrders, i)
		if !r.chance(orderChance) {
			continue
		}
		// The amount is 40% to 160% of the mean, in whole cents by integer
		// arithmetic: no fused multiply-add can make it differ between CPUs.
		meanCents := int64(math.Round(reg.monthlyBudget * reg.pace * 100 / (orderChance * completedOrderShare * minutesInMonth(b))))
		out = append(out, order{
			ts:     bucketStart(b) + r.intn(bucketSeconds),
			region: reg.name,
			status: orderStatuses[r.pick(orderStatusWeights)],
			amount: float64(meanCents*(400+r.intn(1201))/1000) / 100,
		})
	}
	return out
}

func genSessions(b int64) []session {
	var out []session
	for i, ch := range salesChannels {
		r := newRNG(b, tableSessions, i)
		n := sessionsMin + r.intn(sessionsSpread)
		for range n {
			s := session{ts: bucketStart(b) + r.intn(bucketSeconds), channel: ch.name}
			if r.chance(ch.conversion) {
				s.converted = 1
			}
			out = append(out, s)
		}
	}
	return out
}

func genRuns(b int64) []productionRun {
	var out []productionRun
	for i, l := range lines {
		r := newRNG(b, tableRuns, i)
		if !r.chance(runChance) {
			continue
		}
		run := productionRun{
			ts:    bucketStart(b) + r.intn(bucketSeconds),
			line:  l.name,
			units: l.units - unitsSpread + r.intn(2*unitsSpread+1),
		}
		run.passedFirst = run.units
		for range run.units {
			switch u := r.float(); {
			case u < l.defect:
				run.defects++
				run.passedFirst--
			case u < l.failFirst:
				run.passedFirst--
			}
		}
		out = append(out, run)
	}
	return out
}

func genDeliveries(b int64) []delivery {
	var out []delivery
	for i, p := range plants {
		r := newRNG(b, tableDeliveries, i)
		if !r.chance(deliveryChance) {
			continue
		}
		d := delivery{plant: p.name, delivered: bucketStart(b) + r.intn(bucketSeconds)}
		if r.chance(p.onTime) {
			d.promised = d.delivered + 60*r.intn(6*60) // up to 6h early
		} else {
			d.promised = d.delivered - 60*(10+r.intn(2*24*60)) // 10 minutes to 2 days late
		}
		out = append(out, d)
	}
	return out
}

// genTicket returns the ticket opened in bucket b, if any.
func genTicket(b int64) (ticket, bool) {
	r := newRNG(b, tableTickets, 0)
	if !r.chance(ticketChance) {
		return ticket{}, false
	}
	ch := supportChannels[r.pick(shares(supportChannels, func(c supportChannel) float64 { return c.share }))]
	pr := priorities[r.pick(shares(priorities, func(p priority) float64 { return p.share }))]
	t := ticket{id: b, channel: ch.name, priority: pr.name, opened: bucketStart(b) + r.intn(bucketSeconds)}
	t.closes = t.opened + pr.minSeconds + r.intn(pr.maxSeconds-pr.minSeconds)
	if r.chance(csatAnswerChance) {
		t.csat = int64(r.pick(ch.csatWeights)) + 1
	}
	return t, true
}

func genSubscriptions(b int64) []subscription {
	var out []subscription
	for i, reg := range regions {
		r := newRNG(b, tableSubscriptions, i)
		if !r.chance(subscriptionChance) {
			continue
		}
		s := subscription{region: reg.name, due: bucketStart(b) + r.intn(bucketSeconds)}
		if r.chance(reg.renewal) {
			s.renewed = 1
		}
		out = append(out, s)
	}
	return out
}
