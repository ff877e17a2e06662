package memstore_test

import (
	"testing"

	"github.com/webotp/webotp/verifier"
	"github.com/webotp/webotp/verifier/memstore"
	"github.com/webotp/webotp/verifier/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) verifier.Store {
		s := memstore.New(memstore.Options{})
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestConformanceWithOneShard(t *testing.T) {
	storetest.Run(t, func(t *testing.T) verifier.Store {
		return memstore.New(memstore.Options{Shards: 1, SweepInterval: -1})
	})
}
