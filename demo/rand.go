package demo

// rng is a splitmix64 stream. Seeding it from (bucket, table, entity) makes
// every generated row a pure function of its time bucket and entity, so two
// databases built for the same time are identical.
type rng struct{ state uint64 }

const golden = 0x9e3779b97f4a7c15

func mix(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// newRNG returns the stream of one entity of one table in one bucket.
func newRNG(bucket int64, table, entity int) *rng {
	return &rng{state: mix(uint64(bucket)*golden ^ mix(uint64(table)<<16|uint64(entity)))}
}

func (r *rng) next() uint64 {
	r.state += golden
	return mix(r.state)
}

// float returns a uniform value in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) * 0x1p-53 }

// chance reports true with probability p.
func (r *rng) chance(p float64) bool { return r.float() < p }

// intn returns a uniform value in [0, n).
func (r *rng) intn(n int64) int64 { return int64(r.next() % uint64(n)) }

// pick returns the index i with probability weights[i] (weights sum to 1).
func (r *rng) pick(weights []float64) int {
	u := r.float()
	for i, w := range weights {
		if u < w {
			return i
		}
		u -= w
	}
	return len(weights) - 1
}
