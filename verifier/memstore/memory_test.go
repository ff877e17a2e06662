package memstore_test

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/webotp/webotp/verifier"
	"github.com/webotp/webotp/verifier/memstore"
)

// BenchmarkPendingMemory measures the heap bytes per pending verification
// with 1 M pending, as the live heap grows after a GC, in memstore and in
// the plain layout (layout_test.go). "records" counts the verifications
// and their indices; "with limits" adds what Service counts for each
// start: a per-phone counter (every phone distinct) and the app's send
// counter. Run it once: -bench PendingMemory -benchtime 1x.
func BenchmarkPendingMemory(b *testing.B) {
	const n = 1_000_000
	for _, tc := range []struct {
		name   string
		limits func(i int) []verifier.Limit
	}{
		{"records", func(int) []verifier.Limit { return nil }},
		{"with limits", func(i int) []verifier.Limit {
			return []verifier.Limit{
				{Key: fmt.Sprintf("start:phone:%022d", i), Max: 5, Window: 15 * time.Minute},
				{Key: "send:app:app", Max: 1 << 30, Window: time.Minute},
			}
		}},
	} {
		for _, layout := range []string{"packed", "plain"} {
			b.Run(layout+"/"+tc.name, func(b *testing.B) {
				for b.Loop() {
					pendingMemory(b, n, layout, tc.limits)
				}
			})
		}
	}
}

// pendingMemory creates n verifications in a new store of the layout and
// reports the heap they take.
func pendingMemory(b *testing.B, n int, layout string, limits func(i int) []verifier.Limit) {
	before := heap()
	var create func(v *verifier.Verification, l []verifier.Limit) error
	var s any
	if layout == "plain" {
		p := newPlainStore()
		create, s = p.create, p
	} else {
		m := memstore.New(memstore.Options{SweepInterval: -1})
		create = func(v *verifier.Verification, l []verifier.Limit) error { return m.Create(b.Context(), v, l) }
		s = m
	}
	for i := range n {
		v := pending(t0)
		var id, pk [16]byte
		binary.LittleEndian.PutUint64(id[:], uint64(i)*0x9E3779B97F4A7C15)
		binary.LittleEndian.PutUint64(id[8:], uint64(i))
		binary.LittleEndian.PutUint64(pk[:], uint64(i)*0xC2B2AE3D27D4EB4F)
		v.ID = base64.RawURLEncoding.EncodeToString(id[:])
		v.PhoneKey = base64.RawURLEncoding.EncodeToString(pk[:])
		v.Phone = fmt.Sprintf("+1415%07d", i)
		if err := create(v, limits(i)); err != nil {
			b.Fatal(err)
		}
	}
	after := heap()
	b.ReportMetric(float64(after-before)/float64(n), "bytes/pending")
	runtime.KeepAlive(s)
}

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
