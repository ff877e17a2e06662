package reliability

import (
	"fmt"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"
)

func TestFiveHundredParallelWrongGuessesAreCountedExactly(t *testing.T) {
	// 500 connections from one address stand for 500 attackers: the per-IP
	// connection cap is lifted so that every guess reaches the limits.
	s := startDev(t, "--max-conns-per-ip", "0")
	id, code, maxAttempts := s.startVerification("+14155550101")
	url := s.URL + "/v1/verifications/" + id + "/check"

	const n = 500
	codes := wrongCodes(code, n)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: n}}
	answers := make([]*answer, n)
	errs := make([]error, n)
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			answers[i], errs[i] = do(client, http.MethodPost, url, `{"code":"`+codes[i]+`"}`)
		}()
	}
	close(gate)
	wg.Wait()

	var wrong, refused int
	var left []int
	other := map[string]int{}
	for i, a := range answers {
		if errs[i] != nil {
			t.Errorf("guess %d: %v", i, errs[i])
			continue
		}
		switch {
		case a.Status == http.StatusOK && a.JSON.Valid != nil && !*a.JSON.Valid && a.JSON.Verification != nil:
			wrong++
			left = append(left, a.JSON.Verification.AttemptsLeft)
		case a.Status == http.StatusConflict && a.JSON.Error != nil &&
			a.JSON.Error.Code == "not_pending" && a.JSON.Error.Status == "max_attempts_reached":
			refused++
		default:
			other[fmt.Sprintf("%d %s", a.Status, a.Body)]++
		}
	}
	if wrong != maxAttempts || refused != n-maxAttempts || len(other) > 0 {
		t.Errorf("%d parallel wrong guesses: %d valid:false, %d not_pending/max_attempts_reached, others %v; want %d and %d, no others",
			n, wrong, refused, other, maxAttempts, n-maxAttempts)
	}
	sort.Ints(left)
	for i, l := range left {
		if l != i {
			t.Errorf("attempts_left over the valid:false answers = %v, want each of 0..%d once", left, maxAttempts-1)
			break
		}
	}

	a, err := do(client, http.MethodPost, url, `{"code":"`+code+`"}`)
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != http.StatusConflict || a.JSON.Error == nil || a.JSON.Error.Status != "max_attempts_reached" {
		t.Errorf("the right code after the attempts ran out answered %d %s, want 409 not_pending max_attempts_reached", a.Status, a.Body)
	}
	a, err = do(client, http.MethodGet, s.URL+"/v1/verifications/"+id, "")
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != http.StatusOK || a.JSON.Status != "max_attempts_reached" || a.JSON.AttemptsLeft == nil || *a.JSON.AttemptsLeft != 0 {
		t.Errorf("GET after the guesses answered %d %s, want 200 max_attempts_reached with attempts_left 0", a.Status, a.Body)
	}
}
