package redisstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/webotp/webotp/verifier"
	"github.com/webotp/webotp/verifier/internal/redistest"
	"github.com/webotp/webotp/verifier/redisstore"
	"github.com/webotp/webotp/verifier/storetest"
)

// open returns a Store on url, closed when the test ends.
func open(t testing.TB, url string, opts redisstore.Options) *redisstore.Store {
	t.Helper()
	s, err := redisstore.Open(url, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", url, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	addr, _ := redistest.Start(t)
	s := open(t, "redis://"+addr+"/0", redisstore.Options{})
	storetest.Run(t, func(t *testing.T) verifier.Store { return s })
}

// The suite calls one method at a time, which the store sends to Redis
// directly; here every call goes through the auto-pipeliner instead.
func TestConformanceThroughTheAutoPipeliner(t *testing.T) {
	addr, _ := redistest.Start(t)
	s := open(t, "redis://"+addr+"/0", redisstore.Options{})
	redisstore.AlwaysPipeline(s)
	storetest.Run(t, func(t *testing.T) verifier.Store { return s })
}

func TestConformanceWithoutAutoPipeline(t *testing.T) {
	addr, _ := redistest.Start(t)
	s := open(t, "redis://"+addr+"/0", redisstore.Options{NoAutoPipeline: true})
	storetest.Run(t, func(t *testing.T) verifier.Store { return s })
}

func TestConformanceOnADatabaseOtherThanZeroWithAPrefix(t *testing.T) {
	addr, _ := redistest.Start(t)
	s := open(t, "redis://"+addr+"/3", redisstore.Options{KeyPrefix: "otp:"})
	storetest.Run(t, func(t *testing.T) verifier.Store { return s })
}

// A one-node Redis Cluster enforces the CROSSSLOT rule on every script, so
// the suite passing here shows every script's keys share a slot.
func TestConformanceOnRedisCluster(t *testing.T) {
	srv := redistest.New(t, redistest.Options{Cluster: true})
	s := open(t, "redis+cluster://"+srv.Addr, redisstore.Options{})
	storetest.Run(t, func(t *testing.T) verifier.Store { return s })
}

// A record of an earlier layout sits under another key suffix: an upgraded
// instance answers not found for it (the verification fails closed, and the
// old key expires by itself) rather than failing to decode it.
func TestARecordOfAnEarlierLayoutIsNotRead(t *testing.T) {
	srv := redistest.New(t, redistest.Options{})
	s := open(t, "redis://"+srv.Addr+"/0", redisstore.Options{})
	const id = "AAAAAAAAAAAAAAAAAAAAAA"
	old := "p000000000000000000010000000000001" + strings.Repeat("\x00", 12)
	if _, err := srv.Command("SET", "webotp:{"+id+"}:r", old); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(context.Background(), id); !errors.Is(err, verifier.ErrNotFound) {
		t.Errorf("Get of an id whose record has an earlier layout = %v, want ErrNotFound", err)
	}
}
