package memstore_test

import (
	"hash/maphash"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/webotp/webotp/verifier"
	"github.com/webotp/webotp/verifier/memstore"
)

// plainStore keeps verifications the plain way, the one the packed records
// of memstore are measured against (BenchmarkPendingMemory,
// BenchmarkRecordLayout): a copy of each verifier.Verification in a map
// per shard, the newest index and the limit counters in maps keyed by
// strings. It has what Create and the success path of ReserveCheck need,
// no more, so that its cost is a lower bound of a complete one.
type plainStore struct {
	seed   maphash.Seed
	shards [64]plainShard
}

type plainShard struct {
	mu       sync.Mutex
	recs     map[string]*verifier.Verification
	newest   map[string]string
	counters map[string]plainCounter
}

type plainCounter struct {
	n   int
	end time.Time
}

func newPlainStore() *plainStore {
	p := &plainStore{seed: maphash.MakeSeed()}
	for i := range p.shards {
		p.shards[i] = plainShard{
			recs:     make(map[string]*verifier.Verification),
			newest:   make(map[string]string),
			counters: make(map[string]plainCounter),
		}
	}
	return p
}

func (p *plainStore) shard(key string) int { return int(maphash.String(p.seed, key) % 64) }

// lock locks the shards of keys in order and returns the unlock.
func (p *plainStore) lock(keys ...string) func() {
	idx := make([]int, 0, 4)
	for _, k := range keys {
		idx = append(idx, p.shard(k))
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	for _, i := range idx {
		p.shards[i].mu.Lock()
	}
	return func() {
		for _, i := range slices.Backward(idx) {
			p.shards[i].mu.Unlock()
		}
	}
}

func (p *plainStore) counterKey(l verifier.Limit, phoneKey string) string {
	if l.PerPhone {
		return l.Key + phoneKey
	}
	return l.Key
}

// count checks and counts limits (no guards here) under the held locks.
func (p *plainStore) count(limits []verifier.Limit, keys []string, now time.Time) error {
	for i, l := range limits {
		c := p.shards[p.shard(keys[i])].counters[keys[i]]
		if c.end.After(now) && c.n >= l.Max {
			return verifier.RateLimited(c.end.Sub(now), "Too many requests; try again later.")
		}
	}
	for i, l := range limits {
		m := p.shards[p.shard(keys[i])].counters
		c := m[keys[i]]
		if !c.end.After(now) {
			c = plainCounter{end: now.Add(l.Window)}
		}
		c.n++
		m[keys[i]] = c
	}
	return nil
}

func (p *plainStore) create(v *verifier.Verification, limits []verifier.Limit) error {
	keys := make([]string, len(limits))
	for i, l := range limits {
		keys[i] = p.counterKey(l, v.PhoneKey)
	}
	nk := v.AppID + "\x00" + v.PhoneKey
	unlock := p.lock(append([]string{v.ID, nk}, keys...)...)
	defer unlock()
	if err := p.count(limits, keys, v.CreatedAt); err != nil {
		return err
	}
	c := *v
	p.shards[p.shard(v.ID)].recs[v.ID] = &c
	p.shards[p.shard(nk)].newest[nk] = v.ID
	return nil
}

func (p *plainStore) reserveCheck(appID, id string, keyIDs []string, now time.Time, limits []verifier.Limit) (*verifier.Verification, error) {
	sh := &p.shards[p.shard(id)]
	sh.mu.Lock()
	r, ok := sh.recs[id]
	var phoneKey string
	if ok {
		phoneKey = r.PhoneKey
	}
	sh.mu.Unlock()
	if !ok || r.AppID != appID {
		return nil, verifier.ErrNotFound
	}
	keys := make([]string, len(limits))
	for i, l := range limits {
		keys[i] = p.counterKey(l, phoneKey)
	}
	unlock := p.lock(append([]string{id}, keys...)...)
	defer unlock()
	if st := r.StatusAt(now); st != verifier.StatusPending {
		return nil, verifier.NotPending(st)
	}
	if !slices.Contains(keyIDs, r.KeyID) {
		return nil, verifier.KeyUnavailable(r.KeyID)
	}
	if err := p.count(limits, keys, now); err != nil {
		return nil, err
	}
	r.Attempts++
	c := *r
	return &c, nil
}

func TestThePlainLayoutOfTheBenchmarkCountsAsMemstoreDoes(t *testing.T) {
	p, s := newPlainStore(), memstore.New(memstore.Options{SweepInterval: -1})
	lims := []verifier.Limit{{Key: "fail:", PerPhone: true, Max: 2, Window: time.Hour}}
	v := pending(t0)
	if err := p.create(v, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(t.Context(), v, nil); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		a, errA := p.reserveCheck("app", v.ID, []string{"k1"}, t0, lims)
		b, errB := s.ReserveCheck(t.Context(), "app", v.ID, []string{"k1"}, t0, lims)
		if verifier.ErrorCode(errA) != verifier.ErrorCode(errB) || (a == nil) != (b == nil) || a != nil && *a != *b {
			t.Fatalf("check %d: plain %+v, %v; memstore %+v, %v", i+1, a, errA, b, errB)
		}
	}
}

// BenchmarkRecordLayout is the store's share of a check (ReserveCheck with
// the per-phone failure budget) on memstore's packed records and on the
// plain layout, from many goroutines.
func BenchmarkRecordLayout(b *testing.B) {
	const n = 1024
	lims := []verifier.Limit{{Key: "bench:fail:", PerPhone: true, Max: 1 << 20, Window: 24 * time.Hour}}
	keyIDs := []string{"k1"}
	s := memstore.New(memstore.Options{SweepInterval: -1})
	p := newPlainStore()
	for _, l := range []struct {
		name    string
		create  func(*verifier.Verification) error
		reserve func(id string) (*verifier.Verification, error)
	}{
		{"packed", func(v *verifier.Verification) error { return s.Create(b.Context(), v, nil) },
			func(id string) (*verifier.Verification, error) {
				return s.ReserveCheck(b.Context(), "app", id, keyIDs, t0, lims)
			}},
		{"plain", func(v *verifier.Verification) error { return p.create(v, nil) },
			func(id string) (*verifier.Verification, error) {
				return p.reserveCheck("app", id, keyIDs, t0, lims)
			}},
	} {
		b.Run(l.name, func(b *testing.B) {
			ids := make([]string, n)
			for i := range ids {
				v := pending(t0)
				v.MaxAttempts = 60000 // memstore keeps at most 65535
				if err := l.create(v); err != nil {
					b.Fatal(err)
				}
				ids[i] = v.ID
			}
			var next atomic.Uint64
			b.SetParallelism(16)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := l.reserve(ids[next.Add(1)%n]); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
