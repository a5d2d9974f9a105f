package sdkfinance_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sdkfinance-go/sdkfinance"
	"github.com/sdkfinance-go/sdkfinance/sdkfinancetest"
)

// Size of the soak run.
//
// NOTE: under the race detector the run makes soakCallsRace calls, as
// 10,000 took about six minutes with -race on a shared 2-core machine
// against 45 seconds without it. CI runs the full soak without -race in
// a step of its own, besides the -race run of every test.
const (
	soakCalls      = 10_000
	soakCallsRace  = 1_000
	soakGoroutines = 32
	soakUsers      = 100
	soakPageSize   = 1000
	// soakFaultRate is the share of approve and list requests that get a
	// fault. A call sends at least one of each, so about twice this share
	// of calls meets a fault.
	soakFaultRate = 0.1
	// soakSeed seeds the fault choices, so every run draws the same
	// sequence of faults. The goroutines interleave differently per run,
	// so which call meets which fault still varies.
	soakSeed = 20_240_601
	// soakLatency is the wait of a latency fault. The soak run sets no
	// attempt timeout, so that a slow machine cannot turn slow responses
	// into timeout errors. TestFaults covers timeouts.
	soakLatency = 5 * time.Millisecond
)

// Faults the soak run draws from, each with the same chance.
var (
	soakApproveFaults = []sdkfinancetest.Fault{
		{Status: http.StatusTooManyRequests},
		{Status: http.StatusServiceUnavailable, RetryAfter: "1"},
		{Status: http.StatusInternalServerError},
		{Status: http.StatusInternalServerError, Process: true},
		{Status: http.StatusBadGateway, Process: true},
		{Status: http.StatusBadGateway, Body: sdkfinancetest.HTMLPage},
		{Status: http.StatusGatewayTimeout},
		{CloseConnection: true},
		{CloseConnection: true, Process: true},
		{Body: sdkfinancetest.TruncatedJSON},
		{Body: sdkfinancetest.EmptyBody},
		{Body: sdkfinancetest.HTMLPage},
		{Latency: soakLatency},
		{Latency: soakLatency, Process: true},
		{ExpireToken: true},
	}
	soakListFaults = []sdkfinancetest.Fault{
		{Status: http.StatusTooManyRequests, RetryAfter: "1"},
		{Status: http.StatusBadGateway},
		{Status: http.StatusBadGateway, Body: sdkfinancetest.HTMLPage},
		{Status: http.StatusServiceUnavailable},
		{Status: http.StatusGatewayTimeout},
		{CloseConnection: true},
		{Latency: soakLatency},
		{ExpireToken: true},
	}
)

// soakFaults chooses the soak run's faults from one seeded source and
// counts them.
type soakFaults struct {
	rng      *rand.Rand // used only inside the server's fault functions, one call at a time
	injected atomic.Int64
}

func (s *soakFaults) choose(kinds []sdkfinancetest.Fault) func(int) sdkfinancetest.Fault {
	return func(int) sdkfinancetest.Fault {
		if s.rng.Float64() >= soakFaultRate {
			return sdkfinancetest.Fault{}
		}
		s.injected.Add(1)
		return kinds[s.rng.IntN(len(kinds))]
	}
}

// bodyCounter counts response bodies that the client opened and has not
// closed yet, to find a body that the SDK leaks.
type bodyCounter struct {
	next http.RoundTripper
	open atomic.Int64
}

func (b *bodyCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := b.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	b.open.Add(1)
	resp.Body = &countedBody{ReadCloser: resp.Body, counter: b}
	return resp, nil
}

type countedBody struct {
	io.ReadCloser
	counter *bodyCounter
	once    sync.Once
}

func (c *countedBody) Close() error {
	c.once.Do(func() { c.counter.open.Add(-1) })
	return c.ReadCloser.Close()
}

// soakOutcome is the result of one call.
type soakOutcome struct {
	userID, id string
	res        *sdkfinance.ResetResult
	err        error
}

// soakErrorClasses lists the classes a soak error may have, in the order
// they are tried.
var soakErrorClasses = []struct {
	name string
	is   func(error) bool
}{
	{"ErrOutcomeUnknown", func(err error) bool { return errors.Is(err, sdkfinance.ErrOutcomeUnknown) }},
	{"*ReconcileError", func(err error) bool {
		var re *sdkfinance.ReconcileError
		return errors.As(err, &re)
	}},
	{"ErrRateLimited", func(err error) bool { return errors.Is(err, sdkfinance.ErrRateLimited) }},
	{"ErrUnauthorized", func(err error) bool { return errors.Is(err, sdkfinance.ErrUnauthorized) }},
	{"ErrInvalidResponse", func(err error) bool { return errors.Is(err, sdkfinance.ErrInvalidResponse) }},
	{"ErrServer", func(err error) bool { return errors.Is(err, sdkfinance.ErrServer) }},
	{"ErrConflict", func(err error) bool { return errors.Is(err, sdkfinance.ErrConflict) }},
	{"ErrNotFound", func(err error) bool { return errors.Is(err, sdkfinance.ErrNotFound) }},
	{"*TransportError", func(err error) bool {
		var te *sdkfinance.TransportError
		return errors.As(err, &te)
	}},
}

func soakErrorClass(err error) string {
	for _, c := range soakErrorClasses {
		if c.is(err) {
			return c.name
		}
	}
	return ""
}

// TestSoakResetIdentification runs many concurrent resets against one
// sandbox that fails at random, and checks that no request is approved
// twice, that every error explains an unapproved request, and that no
// goroutine, response body or connection is left behind.
//
// Each goroutine adds a pending request just before it resets it, so the
// pending list stays short, as in a back office that keeps up with its
// queue, and each lookup reads one short page. Requests left pending by a
// failed call stay on the list.
func TestSoakResetIdentification(t *testing.T) {
	if testing.Short() {
		t.Skip("soak test skipped in short mode")
	}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	srv, err := sdkfinancetest.NewServer(sdkfinancetest.WithMaxPageSize(soakPageSize))
	if err != nil {
		t.Fatalf("start the sandbox: %v", err)
	}
	defer srv.Close()

	users := make([]sdkfinancetest.User, soakUsers)
	for i := range users {
		users[i] = srv.AddUser(fmt.Sprintf("Soak User %d", i))
	}
	calls := soakCalls
	if raceEnabled {
		calls = soakCallsRace
	}

	transport := &http.Transport{MaxIdleConnsPerHost: soakGoroutines}
	bodies := &bodyCounter{next: transport}
	client, err := sdkfinance.NewClient(srv.URL,
		sdkfinance.WithCredentials(srv.Operator.Login, srv.Operator.Password),
		sdkfinance.WithHTTPClient(&http.Client{Transport: bodies}),
		sdkfinance.WithPageSize(soakPageSize),
		sdkfinance.WithRetry(sdkfinance.RetryPolicy{
			BaseDelay:     time.Millisecond,
			MaxDelay:      2 * time.Millisecond,
			MaxRetryAfter: 2 * time.Millisecond,
		}))
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}

	faults := &soakFaults{rng: rand.New(rand.NewPCG(soakSeed, soakSeed))}
	srv.SetFaultFunc("approveResetIdentification", faults.choose(soakApproveFaults))
	srv.SetFaultFunc("viewResetIdentificationRequests", faults.choose(soakListFaults))

	start := time.Now()
	outcomes := make([]soakOutcome, calls)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range soakGoroutines {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= calls {
					return
				}
				user := users[i%soakUsers]
				req, err := srv.AddResetRequest(user.ID)
				if err != nil {
					outcomes[i] = soakOutcome{userID: user.ID, err: fmt.Errorf("seed: %w", err)}
					continue
				}
				res, err := client.ResetIdentification(context.Background(), user.ID, req.ID)
				outcomes[i] = soakOutcome{userID: user.ID, id: req.ID, res: res, err: err}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	srv.ClearFaults()

	checkSoakOutcomes(t, srv, outcomes)
	t.Logf("soak: %d calls on %d goroutines in %v; %d faults injected in %d approve and %d list requests",
		calls, soakGoroutines, elapsed.Round(time.Millisecond), faults.injected.Load(),
		srv.RequestCount("approveResetIdentification"),
		srv.RequestCount("viewResetIdentificationRequests"))

	if open := bodies.open.Load(); open != 0 {
		t.Errorf("%d response bodies left open", open)
	}
	transport.CloseIdleConnections()
	// With every body closed, every connection is idle, so
	// CloseIdleConnections closes them all. The loop waits for the server
	// to record the closes.
	for srv.OpenConnections() > 0 && t.Context().Err() == nil {
		time.Sleep(time.Millisecond)
	}
	if open := srv.OpenConnections(); open != 0 {
		t.Errorf("%d connections still open after closing the idle ones", open)
	}
	srv.Close()
}

// checkSoakOutcomes checks every call against the sandbox's state and logs
// the counts.
func checkSoakOutcomes(t *testing.T, srv *sdkfinancetest.Server, outcomes []soakOutcome) {
	t.Helper()
	approved, reconciled := 0, 0
	errorsByClass := map[string]int{}
	for _, o := range outcomes {
		count := srv.ApprovalCount(o.id)
		if count > 1 {
			t.Errorf("request %s approved %d times", o.id, count)
		}
		stored, ok := srv.ResetRequest(o.id)
		if !ok {
			t.Fatalf("request %s is gone from the sandbox", o.id)
		}

		if o.err == nil {
			approved++
			if o.res.Reconciled {
				reconciled++
			}
			if count != 1 || stored.Status != sdkfinancetest.StatusApproved {
				t.Errorf("request %s: success, but approvals %d and status %s", o.id, count, stored.Status)
			}
			continue
		}

		class := soakErrorClass(o.err)
		errorsByClass[class]++
		switch {
		case class == "":
			t.Errorf("request %s: error of no known class: %v", o.id, o.err)
		case class == "ErrOutcomeUnknown":
			// The approve may or may not have happened; either state is
			// consistent, and the count check above holds for both.
		case count != 0 || stored.Status != sdkfinancetest.StatusPending:
			t.Errorf("request %s: error %s (%v), but approvals %d and status %s",
				o.id, class, o.err, count, stored.Status)
		}
	}

	classes := make([]string, 0, len(errorsByClass))
	for class := range errorsByClass {
		classes = append(classes, class)
	}
	slices.Sort(classes)
	summary := ""
	for _, class := range classes {
		summary += fmt.Sprintf(" %s=%d", class, errorsByClass[class])
	}
	t.Logf("soak: %d approved (%d reconciled), %d errors:%s",
		approved, reconciled, len(outcomes)-approved, summary)
}
