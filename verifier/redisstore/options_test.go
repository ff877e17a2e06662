package redisstore_test

import (
	"crypto/tls"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/webotp/webotp/verifier"
	"github.com/webotp/webotp/verifier/internal/redistest"
	"github.com/webotp/webotp/verifier/redisstore"
)

func TestOpenRefusesBadURLsWithoutRepeatingThem(t *testing.T) {
	for _, url := range []string{
		"http://:s3cret@127.0.0.1:6379",
		"redis://:s3cret@127.0.0.1:6379/notadb",
		"redis://:s3cret@127.0.0.1:6379/1/2",
		"memory:",
		"",
	} {
		t.Run(url, func(t *testing.T) {
			s, err := redisstore.Open(url, redisstore.Options{})
			if err == nil {
				_ = s.Close()
				t.Fatalf("Open(%q) succeeded", url)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("error %q repeats the password", err)
			}
		})
	}
}

func TestOpenAcceptsPasswordsAndDatabases(t *testing.T) {
	srv := redistest.New(t, redistest.Options{})
	if _, err := srv.Command("CONFIG", "SET", "requirepass", "s3cret"); err != nil {
		t.Fatal(err)
	}
	good := open(t, "redis://:s3cret@"+srv.Addr+"/2", redisstore.Options{})
	if err := good.Ping(t.Context()); err != nil {
		t.Fatalf("Ping with the password: %v", err)
	}
	bad := open(t, "redis://:wrong@"+srv.Addr+"/2", redisstore.Options{})
	if err := bad.Ping(t.Context()); verifier.ErrorCode(err) != verifier.CodeStoreUnavailable {
		t.Fatalf("Ping with a wrong password: %v, want store_unavailable", err)
	}
}

func TestOpenSpeaksTLS(t *testing.T) {
	srv := redistest.New(t, redistest.Options{TLS: true})
	tlsConfig := &tls.Config{RootCAs: srv.CA, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	s := open(t, "rediss://"+srv.Addr, redisstore.Options{TLS: tlsConfig})
	ctx := t.Context()
	v := pending(t, now())
	if err := s.Create(ctx, v, nil); err != nil {
		t.Fatalf("Create over TLS: %v", err)
	}
	if _, err := s.Get(ctx, v.ID); err != nil {
		t.Fatalf("Get over TLS: %v", err)
	}
	// Without the CA the certificate is refused: TLS is really on.
	untrusted := open(t, "rediss://"+srv.Addr, redisstore.Options{})
	if err := untrusted.Ping(ctx); verifier.ErrorCode(err) != verifier.CodeStoreUnavailable {
		t.Fatalf("Ping trusting the system roots only: %v, want store_unavailable", err)
	}
	// A plain connection to the TLS port gets no answer.
	plain := open(t, "redis://"+srv.Addr, redisstore.Options{Timeout: 200 * time.Millisecond})
	if err := plain.Ping(ctx); err == nil {
		t.Fatal("Ping without TLS on the TLS port succeeded")
	}
}

func TestAClusterNeedsAHashTaggedPrefix(t *testing.T) {
	srv := redistest.New(t, redistest.Options{Cluster: true})
	// The premise of the cluster conformance run: this one-node cluster
	// refuses keys of two slots in one command.
	if _, err := srv.Command("MSET", "{a}x", "1", "{b}y", "2"); err == nil || !strings.Contains(err.Error(), "CROSSSLOT") {
		t.Fatalf("MSET across slots on the test cluster: %v, want CROSSSLOT", err)
	}
	for _, tc := range []struct {
		prefix string
		ok     bool
	}{
		{"", true},
		{"{otp}:", true},
		{"webotp:{prod}:", true},
		{"webotp:", false},
		{"webotp:{}:", false},
	} {
		c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{srv.Addr}})
		s, err := redisstore.New(redisstore.Options{Client: c, KeyPrefix: tc.prefix})
		if (err == nil) != tc.ok {
			t.Errorf("prefix %q on a cluster: error %v, want ok=%v", tc.prefix, err, tc.ok)
		}
		if err == nil {
			if err := s.Ping(t.Context()); err != nil {
				t.Errorf("Ping: %v", err)
			}
		}
		_ = c.Close()
	}
}

func TestLoggerRoutesGoRedisLinesThroughSlog(t *testing.T) {
	var buf strings.Builder
	l := redisstore.Logger{Logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	l.Printf(t.Context(), "failed to dial after %d attempts", 1)
	if got := buf.String(); !strings.Contains(got, "level=DEBUG") || !strings.Contains(got, "failed to dial after 1 attempts") {
		t.Fatalf("logged %q", got)
	}
}
