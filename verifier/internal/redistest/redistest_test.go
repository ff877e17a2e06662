package redistest

import "testing"

func TestAServerKeepsItsAddressAndDataAcrossRestartsWithPersist(t *testing.T) {
	s := New(t, Options{Persist: true})
	addr := s.Addr
	if _, err := s.Command("SET", "k", "v"); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if _, err := s.Command("PING"); err == nil {
		t.Fatal("PING answered after Stop")
	}
	s.Start()
	if s.Addr != addr {
		t.Fatalf("address %s after a restart, was %s", s.Addr, addr)
	}
	if got, err := s.Command("GET", "k"); err != nil || got != "v" {
		t.Fatalf("GET after a restart = %q, %v; want v", got, err)
	}
	if n := s.Info("used_memory"); n == "" {
		t.Fatal("no used_memory in INFO")
	}
}

func TestStartReturnsAnAddressThatAnswers(t *testing.T) {
	addr, stop := Start(t)
	s := &Server{Addr: addr, t: t}
	if got, err := s.Command("PING"); err != nil || got != "PONG" {
		t.Fatalf("PING = %q, %v", got, err)
	}
	stop()
	if _, err := s.Command("PING"); err == nil {
		t.Fatal("PING answered after stop")
	}
}

func TestAServerReportsTheCPUItUsed(t *testing.T) {
	s := New(t, Options{})
	before := s.CPU()
	for range 2000 {
		if _, err := s.Command("SET", "k", "v"); err != nil {
			t.Fatal(err)
		}
	}
	if after := s.CPU(); after <= before {
		t.Fatalf("server CPU %v after 2000 commands, %v before: want more", after, before)
	}
}
